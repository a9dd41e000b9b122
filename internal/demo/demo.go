// Package demo seeds a local cluster with the turbo-engine e2e scenario: six services,
// an operator and its APIGraph custom resources, realistic logs, and planted failures
// (CrashLoopBackOff with a panic, an OOMKilled restart, an unschedulable pod, an
// APIGraph that is not Ready, a failed test Job and Warning events).
package demo

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/org/k8s-e2e-report/internal/testenv"
)

// Namespace is where the scenario lives.
const Namespace = "turbo-engine-e2e"

//go:embed apigraph-crd.yaml
var apiGraphCRD []byte

// APIGraphGVR is the operator's custom resource.
var APIGraphGVR = schema.GroupVersionResource{Group: "turboengine.io", Version: "v1alpha1", Resource: "apigraphs"}

// Services are the scenario's Deployments and Services, by app.kubernetes.io/name.
var Services = []string{"registry", "builder", "envmanager", "gateway", "operator", "console"}

// Scenario names what Seed planted, for tests to assert on.
type Scenario struct {
	Namespace          string
	Node               string
	CrashLoopPod       string // builder: CrashLoopBackOff, previous log ends in a panic
	CrashLoopContainer string
	OOMKilledPod       string // envmanager: restarted after OOMKilled
	OOMKilledContainer string
	UnschedulablePod   string // load-generator: asks for more CPU than any node has
	NotReadyAPIGraph   string // orders: Ready=False
	NotReadyReason     string
	ReadyAPIGraph      string // users
	FailedJob          string // e2e-tests: BackoffLimitExceeded
	ConsoleService     string // NAMESPACE/console:PORT, once StartConsole runs
	JaegerService      string // NAMESPACE/jaeger:PORT, once StartJaeger runs
	JaegerURL          string // the same Jaeger, directly
	JaegerGRPC         string // its query gRPC API, host:port, directly
	JaegerGRPCService  string // NAMESPACE/jaeger:GRPC-PORT: the gRPC API through the cluster
	Start              time.Time
}

// Seed creates the scenario in c and waits until it is in place.
func Seed(ctx context.Context, c *testenv.Cluster) (*Scenario, error) {
	t0 := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	s := &Scenario{
		Namespace: Namespace, Node: "kwok-node-0",
		CrashLoopContainer: "builder", OOMKilledContainer: "envmanager",
		UnschedulablePod: "load-generator", NotReadyAPIGraph: "orders", NotReadyReason: "DependencyNotReady",
		ReadyAPIGraph: "users", FailedJob: "e2e-tests", Start: t0,
	}
	steps := []struct {
		name string
		fn   func(context.Context, *testenv.Cluster, *Scenario) error
	}{
		{"namespace and node", seedBase},
		{"logs", seedLogs},
		{"APIGraph CRD and objects", seedAPIGraphs},
		{"services", seedServices},
		{"operator-created objects", seedOperatorObjects},
		{"planted pod failures", seedPodFailures},
		{"test jobs", seedJobs},
		{"events", seedEvents},
	}
	for _, st := range steps {
		if err := st.fn(ctx, c, s); err != nil {
			return s, fmt.Errorf("seed demo %s: %w", st.name, err)
		}
	}
	return s, nil
}

func seedBase(ctx context.Context, c *testenv.Cluster, s *Scenario) error {
	if err := c.EnsureNamespace(ctx, s.Namespace); err != nil {
		return err
	}
	_, err := c.CreateNode(ctx, s.Node, testenv.NodeOptions{CPU: "16", Memory: "64Gi"})
	return err
}

func seedLogs(ctx context.Context, c *testenv.Cluster, s *Scenario) error {
	t0 := s.Start
	logs := []struct {
		container         string
		current, previous []testenv.LogLine
	}{
		{"registry", registryLog(t0), nil},
		{"builder", builderCurrent(t0.Add(9 * time.Minute)), builderPrevious(t0.Add(8 * time.Minute))},
		{"envmanager", envmanagerCurrent(t0.Add(time.Minute)), envmanagerPrevious(t0)},
		{"gateway", gatewayLog(t0), nil},
		{"operator", operatorLog(t0), nil},
		{"console", consoleLog(t0), nil},
		{"users", usersLog(t0.Add(31 * time.Second)), nil},
		{"wait-for-registry", textLog(t0, time.Second, "waiting for registry.turbo-engine-e2e.svc:5000", "registry is up"), nil},
		{"tests", testRunnerLog(t0.Add(2 * time.Minute)), nil},
		{"setup", textLog(t0, time.Second, "creating APIGraph users", "creating APIGraph orders", "setup done"), nil},
	}
	for _, l := range logs {
		if err := c.SetNamespaceContainerLogs(ctx, s.Namespace, l.container, l.current, l.previous); err != nil {
			return err
		}
	}
	return nil
}

func labels(name string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "turbo-engine"}
}

func container(name string, port int32) corev1.Container {
	return corev1.Container{
		Name:  name,
		Image: fmt.Sprintf("registry.turbo-engine-e2e.svc:5000/%s:e2e", name),
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: port}},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
		},
	}
}

func deployment(name string, port int32, planted bool, mutate func(*corev1.PodSpec)) (*appsv1.Deployment, *corev1.Service) {
	l := labels(name)
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: l},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{container(name, port)}},
	}
	if planted {
		tmpl.Annotations = map[string]string{testenv.PlantedAnnotation: "true"}
	}
	if mutate != nil {
		mutate(&tmpl.Spec)
	}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace, Labels: l},
		Spec: appsv1.DeploymentSpec{
			Replicas:                int32Ptr(1),
			ProgressDeadlineSeconds: int32Ptr(120),
			Selector:                &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": name}},
			Template:                tmpl,
		},
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace, Labels: l},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app.kubernetes.io/name": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: port, TargetPort: intstr.FromString("http")}},
		},
	}
	return dep, svc
}

func int32Ptr(v int32) *int32 { return &v }

func seedServices(ctx context.Context, c *testenv.Cluster, s *Scenario) error {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "registry-credentials", Namespace: s.Namespace, Labels: labels("registry")},
		Type:       corev1.SecretTypeOpaque,
		StringData: map[string]string{"username": "turbo", "password": "demo-registry-password-not-for-reports"},
	}
	if _, err := c.Client.CoreV1().Secrets(s.Namespace).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		return err
	}
	specs := []struct {
		name    string
		port    int32
		planted bool
		mutate  func(*corev1.PodSpec)
	}{
		{"registry", 5000, false, nil},
		{"builder", 8080, true, nil},
		{"envmanager", 8443, true, func(p *corev1.PodSpec) {
			p.InitContainers = []corev1.Container{{Name: "wait-for-registry", Image: "busybox:1.36", Command: []string{"sh", "-c", "until nc -z registry 5000; do sleep 1; done"}}}
		}},
		{"gateway", 8080, false, func(p *corev1.PodSpec) {
			p.Containers[0].ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromString("http")}}, PeriodSeconds: 5}
		}},
		{"operator", 8081, false, func(p *corev1.PodSpec) {
			p.Containers[0].Args = []string{"--leader-elect", "--zap-log-level=info"}
			p.Containers[0].Env = []corev1.EnvVar{{Name: "WATCH_NAMESPACE", Value: Namespace}}
		}},
		{"console", 3000, false, nil},
	}
	for _, sp := range specs {
		dep, svc := deployment(sp.name, sp.port, sp.planted, sp.mutate)
		if _, err := c.Client.AppsV1().Deployments(s.Namespace).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
			return err
		}
		if _, err := c.Client.CoreV1().Services(s.Namespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	// A load generator no node can hold.
	lg := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: s.UnschedulablePod, Namespace: s.Namespace, Labels: labels("load-generator")},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "load-generator", Image: "registry.turbo-engine-e2e.svc:5000/load-generator:e2e",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("64"), corev1.ResourceMemory: resource.MustParse("256Gi")}},
		}}},
	}
	if _, err := c.Client.CoreV1().Pods(s.Namespace).Create(ctx, lg, metav1.CreateOptions{}); err != nil {
		return err
	}
	// Unplanted deployments: kwok runs them.
	for _, name := range []string{"registry", "gateway", "operator", "console"} {
		if _, err := waitPod(ctx, c, s.Namespace, "app.kubernetes.io/name="+name, func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning }); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func waitPod(ctx context.Context, c *testenv.Cluster, ns, selector string, ok func(*corev1.Pod) bool) (*corev1.Pod, error) {
	var got *corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, nil
		}
		for i := range pods.Items {
			if ok(&pods.Items[i]) {
				got = &pods.Items[i]
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("wait for pod %s: %w", selector, err)
	}
	return got, nil
}

func scheduled(p *corev1.Pod) bool { return p.Spec.NodeName != "" }

func seedPodFailures(ctx context.Context, c *testenv.Cluster, s *Scenario) error {
	t0 := s.Start
	builder, err := waitPod(ctx, c, s.Namespace, "app.kubernetes.io/name=builder", scheduled)
	if err != nil {
		return err
	}
	s.CrashLoopPod = builder.Name
	st := testenv.CrashLoopBackOff(testenv.RunningPodStatus(builder, t0), "builder", 5, 2, t0.Add(8*time.Minute), t0.Add(8*time.Minute+1500*time.Millisecond))
	if _, err := c.SetPodStatus(ctx, s.Namespace, builder.Name, st); err != nil {
		return err
	}
	envm, err := waitPod(ctx, c, s.Namespace, "app.kubernetes.io/name=envmanager", scheduled)
	if err != nil {
		return err
	}
	s.OOMKilledPod = envm.Name
	st = testenv.OOMKilledRestart(testenv.RunningPodStatus(envm, t0), "envmanager", 1, t0, t0.Add(11*time.Second), t0.Add(time.Minute))
	_, err = c.SetPodStatus(ctx, s.Namespace, envm.Name, st)
	return err
}

func seedJobs(ctx context.Context, c *testenv.Cluster, s *Scenario) error {
	job := func(name, ctr string, planted bool) *batchv1.Job {
		tmpl := corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels(name)},
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{
				Name: ctr, Image: "registry.turbo-engine-e2e.svc:5000/e2e:latest", Args: []string{"go", "test", "./e2e/..."},
			}}},
		}
		if planted {
			tmpl.Annotations = map[string]string{testenv.PlantedAnnotation: "true"}
		}
		return &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.Namespace, Labels: labels(name)},
			Spec:       batchv1.JobSpec{BackoffLimit: int32Ptr(0), Template: tmpl},
		}
	}
	if _, err := c.Client.BatchV1().Jobs(s.Namespace).Create(ctx, job("e2e-setup", "setup", false), metav1.CreateOptions{}); err != nil {
		return err
	}
	if _, err := c.Client.BatchV1().Jobs(s.Namespace).Create(ctx, job(s.FailedJob, "tests", true), metav1.CreateOptions{}); err != nil {
		return err
	}
	pod, err := waitPod(ctx, c, s.Namespace, "app.kubernetes.io/name="+s.FailedJob, scheduled)
	if err != nil {
		return err
	}
	started, finished := metav1.NewTime(s.Start.Add(2*time.Minute)), metav1.NewTime(s.Start.Add(2*time.Minute+30*time.Second))
	st := corev1.PodStatus{
		Phase: corev1.PodFailed, HostIP: "127.0.0.1", PodIP: "10.0.0.12", StartTime: &started,
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: started},
			{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "PodFailed", LastTransitionTime: finished},
		},
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: "tests", Image: pod.Spec.Containers[0].Image, ImageID: pod.Spec.Containers[0].Image,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", StartedAt: started, FinishedAt: finished}},
		}},
	}
	if _, err := c.SetPodStatus(ctx, s.Namespace, pod.Name, st); err != nil {
		return err
	}
	// The Job controller sees the failed pod and fails the Job (backoffLimit 0).
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		j, err := c.Client.BatchV1().Jobs(s.Namespace).Get(ctx, s.FailedJob, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, cond := range j.Status.Conditions {
			if cond.Type == batchv1.JobFailed && cond.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
}

func seedAPIGraphs(ctx context.Context, c *testenv.Cluster, s *Scenario) error {
	if err := c.InstallCRDYAML(ctx, apiGraphCRD); err != nil {
		return err
	}
	res := c.Dynamic.Resource(APIGraphGVR).Namespace(s.Namespace)
	graphs := []struct {
		name, status, reason, message string
		at                            time.Time
	}{
		{"users", "True", "Reconciled", "all 3 dependents are ready", s.Start.Add(31 * time.Second)},
		{"orders", "False", s.NotReadyReason, `Deployment deploy-orders could not be created: admission webhook "validate.envmanager.turboengine.io" denied the request: image "registry.turbo-engine-e2e.svc:5000/orders:e2e" not found`, s.Start.Add(45 * time.Second)},
	}
	for _, g := range graphs {
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "turboengine.io/v1alpha1",
			"kind":       "APIGraph",
			"metadata":   map[string]any{"name": g.name, "namespace": s.Namespace, "labels": map[string]any{"app.kubernetes.io/part-of": "turbo-engine"}},
			"spec": map[string]any{
				"image":    fmt.Sprintf("registry.turbo-engine-e2e.svc:5000/%s:e2e", g.name),
				"replicas": int64(1),
				"routes":   []any{map[string]any{"path": "/api/" + g.name, "port": int64(8080)}},
			},
		}}
		created, err := res.Create(ctx, obj, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		_ = unstructured.SetNestedField(created.Object, map[string]any{
			"observedGeneration": created.GetGeneration(),
			"conditions": []any{map[string]any{
				"type": "Ready", "status": g.status, "reason": g.reason, "message": g.message,
				"lastTransitionTime": g.at.UTC().Format(time.RFC3339), "observedGeneration": created.GetGeneration(),
			}},
		}, "status")
		if _, err := res.UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

func seedOperatorObjects(ctx context.Context, c *testenv.Cluster, s *Scenario) error {
	owner, err := c.Dynamic.Resource(APIGraphGVR).Namespace(s.Namespace).Get(ctx, "users", metav1.GetOptions{})
	if err != nil {
		return err
	}
	ref := []metav1.OwnerReference{{APIVersion: "turboengine.io/v1alpha1", Kind: "APIGraph", Name: owner.GetName(), UID: owner.GetUID(), Controller: boolPtr(true)}}
	l := map[string]string{"app.kubernetes.io/name": "users", "app.kubernetes.io/managed-by": "turbo-engine-operator", "turboengine.io/apigraph": "users"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "deploy-users", Namespace: s.Namespace, Labels: l, OwnerReferences: ref},
		Spec: appsv1.DeploymentSpec{
			Replicas: int32Ptr(1),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"turboengine.io/apigraph": "users"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: l}, Spec: corev1.PodSpec{Containers: []corev1.Container{container("users", 8080)}}},
		},
	}
	if _, err := c.Client.AppsV1().Deployments(s.Namespace).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		return err
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "svc-users", Namespace: s.Namespace, Labels: l, OwnerReferences: ref},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"turboengine.io/apigraph": "users"}, Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}
	if _, err := c.Client.CoreV1().Services(s.Namespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return err
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "cm-users", Namespace: s.Namespace, Labels: l, OwnerReferences: ref},
		Data:       map[string]string{"routes.yaml": "- path: /api/users\n  port: 8080\n"},
	}
	_, err = c.Client.CoreV1().ConfigMaps(s.Namespace).Create(ctx, cm, metav1.CreateOptions{})
	return err
}

func boolPtr(v bool) *bool { return &v }

func seedEvents(ctx context.Context, c *testenv.Cluster, s *Scenario) error {
	podRef := func(name string) corev1.ObjectReference {
		return corev1.ObjectReference{Kind: "Pod", Namespace: s.Namespace, Name: name, APIVersion: "v1"}
	}
	gw, err := waitPod(ctx, c, s.Namespace, "app.kubernetes.io/name=gateway", scheduled)
	if err != nil {
		return err
	}
	t0 := s.Start
	events := []*corev1.Event{
		testenv.EventFor(podRef(s.CrashLoopPod), corev1.EventTypeWarning, "BackOff",
			fmt.Sprintf("Back-off restarting failed container builder in pod %s_%s(%s)", s.CrashLoopPod, s.Namespace, "uid"), "kubelet", t0.Add(8*time.Minute+2*time.Second), 5),
		testenv.EventFor(podRef(s.OOMKilledPod), corev1.EventTypeWarning, "OOMKilling",
			"Memory cgroup out of memory: Killed process 4211 (envmanager) total-vm:1837364kB, anon-rss:524288kB", "kernel-monitor", t0.Add(11*time.Second), 1),
		testenv.EventFor(podRef(gw.Name), corev1.EventTypeWarning, "Unhealthy",
			"Readiness probe failed: HTTP probe failed with statuscode: 503", "kubelet", t0.Add(41*time.Second), 3),
		testenv.EventFor(corev1.ObjectReference{Kind: "APIGraph", APIVersion: "turboengine.io/v1alpha1", Namespace: s.Namespace, Name: s.NotReadyAPIGraph},
			corev1.EventTypeWarning, "ReconcileError", `create Deployment turbo-engine-e2e/deploy-orders: admission webhook "validate.envmanager.turboengine.io" denied the request`, "apigraph-controller", t0.Add(40*time.Second), 3),
		testenv.EventFor(corev1.ObjectReference{Kind: "APIGraph", APIVersion: "turboengine.io/v1alpha1", Namespace: s.Namespace, Name: s.ReadyAPIGraph},
			corev1.EventTypeNormal, "Reconciled", "created deploy-users, svc-users, cm-users", "apigraph-controller", t0.Add(31*time.Second), 1),
	}
	for _, ev := range events {
		if _, err := c.CreateEvent(ctx, ev); err != nil {
			return err
		}
	}
	// The scheduler's own FailedScheduling event for the load generator.
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		evs, err := c.Client.CoreV1().Events(s.Namespace).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + s.UnschedulablePod})
		if err != nil {
			return false, nil
		}
		for _, e := range evs.Items {
			if e.Reason == "FailedScheduling" {
				return true, nil
			}
		}
		return false, nil
	})
}

// InstallAPIGraphCRD installs the operator's CustomResourceDefinition (the benchmark's
// workload uses it too).
func InstallAPIGraphCRD(ctx context.Context, c *testenv.Cluster) error {
	return c.InstallCRDYAML(ctx, apiGraphCRD)
}
