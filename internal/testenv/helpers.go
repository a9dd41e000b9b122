package testenv

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

func pollUntil(ctx context.Context, timeout time.Duration, cond wait.ConditionWithContextFunc) error {
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, cond)
}

// EnsureNamespace creates a namespace if it does not exist, and waits for its default
// ServiceAccount: until the controller has made it, a pod created there is refused.
func (c *Cluster) EnsureNamespace(ctx context.Context, name string) error {
	_, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return pollUntil(ctx, 30*time.Second, func(ctx context.Context) (bool, error) {
		_, err := c.Client.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
}

// Plant marks a pod (before it is created) so that kwok leaves its status alone.
func Plant(pod *corev1.Pod) *corev1.Pod {
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[PlantedAnnotation] = "true"
	return pod
}

// SetPodStatus writes status through the pods/status subresource. The pod should carry
// PlantedAnnotation (see Plant), or kwok may overwrite what is planted here.
func (c *Cluster) SetPodStatus(ctx context.Context, namespace, name string, status corev1.PodStatus) (*corev1.Pod, error) {
	var out *corev1.Pod
	err := pollUntil(ctx, 10*time.Second, func(ctx context.Context) (bool, error) {
		pod, err := c.Client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		pod.Status = status
		out, err = c.Client.CoreV1().Pods(namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			return false, nil
		}
		return err == nil, err
	})
	return out, err
}

// RunningPodStatus is the status of a started, ready pod whose containers run since start.
func RunningPodStatus(pod *corev1.Pod, start time.Time) corev1.PodStatus {
	t := metav1.NewTime(start)
	st := corev1.PodStatus{
		Phase:     corev1.PodRunning,
		HostIP:    "127.0.0.1",
		PodIP:     "10.244.1.100",
		StartTime: &t,
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: t},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: t},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: t},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: t},
		},
	}
	for _, ctr := range pod.Spec.InitContainers {
		st.InitContainerStatuses = append(st.InitContainerStatuses, corev1.ContainerStatus{
			Name: ctr.Name, Image: ctr.Image, ImageID: ctr.Image, Ready: true,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", StartedAt: t, FinishedAt: t}},
		})
	}
	for _, ctr := range pod.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{
			Name: ctr.Name, Image: ctr.Image, ImageID: ctr.Image, Ready: true, Started: ptr(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: t}},
		})
	}
	return st
}

// CrashLoopBackOff changes container name in st to waiting in CrashLoopBackOff after
// restarts restarts, its last run having exited with exitCode at lastExit.
func CrashLoopBackOff(st corev1.PodStatus, name string, restarts int32, exitCode int32, lastStart, lastExit time.Time) corev1.PodStatus {
	return setContainer(st, name, func(cs *corev1.ContainerStatus) {
		cs.Ready, cs.Started, cs.RestartCount = false, ptr(false), restarts
		cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
			Reason:  "CrashLoopBackOff",
			Message: fmt.Sprintf("back-off 5m0s restarting failed container=%s", name),
		}}
		cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: exitCode, Reason: "Error", StartedAt: metav1.NewTime(lastStart), FinishedAt: metav1.NewTime(lastExit),
		}}
	}, false)
}

// OOMKilledRestart changes container name in st to running again after its previous
// run was OOMKilled (exit code 137) at killedAt.
func OOMKilledRestart(st corev1.PodStatus, name string, restarts int32, lastStart, killedAt, restartedAt time.Time) corev1.PodStatus {
	return setContainer(st, name, func(cs *corev1.ContainerStatus) {
		cs.RestartCount = restarts
		cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(restartedAt)}}
		cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 137, Reason: "OOMKilled", StartedAt: metav1.NewTime(lastStart), FinishedAt: metav1.NewTime(killedAt),
		}}
	}, true)
}

func setContainer(st corev1.PodStatus, name string, f func(*corev1.ContainerStatus), podReady bool) corev1.PodStatus {
	st = *st.DeepCopy()
	for i := range st.ContainerStatuses {
		if st.ContainerStatuses[i].Name == name {
			f(&st.ContainerStatuses[i])
		}
	}
	for i := range st.InitContainerStatuses {
		if st.InitContainerStatuses[i].Name == name {
			f(&st.InitContainerStatuses[i])
		}
	}
	if !podReady {
		for i := range st.Conditions {
			if st.Conditions[i].Type == corev1.PodReady || st.Conditions[i].Type == corev1.ContainersReady {
				st.Conditions[i].Status = corev1.ConditionFalse
				st.Conditions[i].Reason = "ContainersNotReady"
				st.Conditions[i].Message = fmt.Sprintf("containers with unready status: [%s]", name)
			}
		}
	}
	return st
}

func ptr[T any](v T) *T { return &v }

// EventFor builds a core/v1 event about obj at time t.
func EventFor(obj corev1.ObjectReference, eventType, reason, message, component string, t time.Time, count int32) *corev1.Event {
	mt := metav1.NewTime(t)
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: obj.Name + ".",
			Namespace:    obj.Namespace,
		},
		InvolvedObject:      obj,
		Type:                eventType,
		Reason:              reason,
		Message:             message,
		Source:              corev1.EventSource{Component: component},
		ReportingController: component,
		FirstTimestamp:      mt,
		LastTimestamp:       mt,
		Count:               count,
	}
}

// CreateEvent creates a core/v1 event.
func (c *Cluster) CreateEvent(ctx context.Context, ev *corev1.Event) (*corev1.Event, error) {
	return c.Client.CoreV1().Events(ev.Namespace).Create(ctx, ev, metav1.CreateOptions{})
}

// Identity is a service account with a token and the permissions a test gave it.
type Identity struct {
	Namespace, Name string
	Token           string
	Config          *rest.Config
	Kubeconfig      string // path
}

// CreateIdentity creates a service account bound to the given cluster-wide rules
// (a ClusterRole and ClusterRoleBinding named after it) and namespaced rules per
// namespace (a Role and RoleBinding in each), and returns a token and kubeconfig for it.
func (c *Cluster) CreateIdentity(ctx context.Context, namespace, name string, clusterRules []rbacv1.PolicyRule, nsRules map[string][]rbacv1.PolicyRule) (*Identity, error) {
	if err := c.EnsureNamespace(ctx, namespace); err != nil {
		return nil, err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
	if _, err := c.Client.CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("create service account: %w", err)
	}
	subject := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: namespace}}
	roleName := fmt.Sprintf("testenv:%s:%s", namespace, name)
	if clusterRules != nil {
		if _, err := c.Client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: roleName}, Rules: clusterRules}, metav1.CreateOptions{}); err != nil {
			return nil, fmt.Errorf("create cluster role: %w", err)
		}
		if _, err := c.Client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: roleName},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: roleName},
			Subjects:   subject,
		}, metav1.CreateOptions{}); err != nil {
			return nil, fmt.Errorf("create cluster role binding: %w", err)
		}
	}
	for ns, rules := range nsRules {
		if err := c.EnsureNamespace(ctx, ns); err != nil {
			return nil, err
		}
		if _, err := c.Client.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: roleName}, Rules: rules}, metav1.CreateOptions{}); err != nil {
			return nil, fmt.Errorf("create role in %s: %w", ns, err)
		}
		if _, err := c.Client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: roleName},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: roleName},
			Subjects:   subject,
		}, metav1.CreateOptions{}); err != nil {
			return nil, fmt.Errorf("create role binding in %s: %w", ns, err)
		}
	}
	tr, err := c.Client.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(24 * 3600))},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("request token: %w", err)
	}
	id := &Identity{Namespace: namespace, Name: name, Token: tr.Status.Token, Kubeconfig: filepath.Join(c.Dir, fmt.Sprintf("kubeconfig-%s-%s", namespace, name))}
	if err := c.writeKubeconfig(id.Kubeconfig, name, id.Token, namespace); err != nil {
		return nil, err
	}
	if id.Config, err = clientcmd.BuildConfigFromFlags("", id.Kubeconfig); err != nil {
		return nil, err
	}
	return id, nil
}

// UserKubeconfig writes a kubeconfig for one of the static restricted users
// ("restricted-0" …) and returns its path.
func (c *Cluster) UserKubeconfig(user string) (string, error) {
	path := filepath.Join(c.Dir, "kubeconfig-"+user)
	return path, c.writeKubeconfig(path, user, user+"-token", "")
}

// NotReady changes container name in st to running but failing its readiness probe:
// the container and the pod are not Ready since at.
func NotReady(st corev1.PodStatus, name string, at time.Time) corev1.PodStatus {
	st = setContainer(st, name, func(cs *corev1.ContainerStatus) { cs.Ready = false }, false)
	for i := range st.Conditions {
		if st.Conditions[i].Status == corev1.ConditionFalse {
			st.Conditions[i].LastTransitionTime = metav1.NewTime(at)
		}
	}
	return st
}
