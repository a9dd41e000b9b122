package redact

import (
	"encoding/base64"
	"strings"
	"testing"
)

// A secret in the shape it takes in a real log, CLI line, JSON or YAML document. The
// secret part must not survive scrubbing (as a line of a stream and as a string).
type secretCase struct{ name, text, secret string }

// Realistic values. Fake, but in the real formats.
const (
	ghToken   = "ghp_R4nd0mT0k3nV4lu3Abcdefghij1234567890"
	ghFine    = "github_pat_11ABCDEFG0abcdefghijkl_MNOPqrstuvWXYZ0123456789abcdefghijklmnopqrstuvwxyz0123"
	awsID     = "AKIAZ3MSJV4WWNKWW5FD"
	awsSecret = "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"
	stripeKey = "sk_live_51HqLyjWDarjtT1zdp7dcXcPD3Kx"
	slackHook = "https://hooks.slack.com/services/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"
	slackBot  = "xoxb-2614127351-2614150329-Zx9yW8vU7tS6rQ5pO4nM3lK2"
	jwt       = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpib3QifQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtMTIzNDU2Nzg5MA"
	pw        = "Tr0ub4dor&3xyzzy"
	gcpKey    = "AIzaSyD3fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5b"
	npmToken  = "npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
	sgKey     = "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"
	azureKey  = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QUJDREVGR0hJSktMTU5PUFFSUw=="
	hexToken  = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
)

func secretCorpus() []secretCase {
	pemKey := "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq98Zmk3Xq1Y\nQWERTYuiopASDFGHjklZXCVBnm12\n-----END RSA PRIVATE KEY-----"
	tlsKey := base64.StdEncoding.EncodeToString([]byte("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"))
	dockerAuth := base64.StdEncoding.EncodeToString([]byte("robot$ci:" + pw))
	return []secretCase{
		{"github token in env", "GITHUB_TOKEN=" + ghToken, ghToken},
		{"github token bare", "using " + ghToken + " to clone", ghToken},
		{"github fine-grained", "token: " + ghFine, ghFine},
		{"github token as URL user", "git clone https://" + hexToken + "@github.com/org/repo.git", hexToken},
		{"github token x-access-token", "https://x-access-token:" + ghToken + "@github.com/org/repo", ghToken},
		{"aws id", "AWS_ACCESS_KEY_ID=" + awsID, awsID},
		{"aws secret env", "AWS_SECRET_ACCESS_KEY=" + awsSecret, awsSecret},
		{"aws configure set", "+ aws configure set aws_secret_access_key " + awsSecret, awsSecret},
		{"aws credentials csv", "Access key ID,Secret access key\n" + awsID + "," + awsSecret, awsSecret},
		{"aws credentials file", "[default]\naws_access_key_id = " + awsID + "\naws_secret_access_key = " + awsSecret, awsSecret},
		{"slack webhook", "posting to " + slackHook, "Xy7aB9cD1eF3gH5iJ7kL9mN1"},
		{"slack bot token", `{"token":"` + slackBot + `"}`, slackBot},
		{"stripe key bare", "charging with " + stripeKey, stripeKey},
		{"stripe key in env value", "STRIPE=" + stripeKey, stripeKey},
		{"jwt", "Authorization: Bearer " + jwt, jwt},
		{"jwt bare", "token " + jwt + " accepted", jwt[40:90]},
		{"jwt wrapped", "id_token=" + jwt[:60] + "\n" + jwt[60:], jwt[60:]},
		{"basic auth go map", "headers: map[Authorization:[Basic dXNlcjpzM2NyM3RwYXNzd29yZA==] User-Agent:[Go-http-client/1.1]]", "dXNlcjpzM2NyM3RwYXNzd29yZA=="},
		{"basic auth header", "> Authorization: Basic dXNlcjpzM2NyM3RwYXNzd29yZA==", "dXNlcjpzM2NyM3RwYXNzd29yZA=="},
		{"cookie header", "Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark", "8f14e45fceea167a5a36dedd4bea2543"},
		{"set-cookie", `Set-Cookie: sid=s%3Aj8H2kL9mP0qR5tV7wX1zB3nD; Path=/; HttpOnly`, "j8H2kL9mP0qR5tV7wX1zB3nD"},
		{"url credentials", "postgres://app:" + pw + "@db.svc:5432/app", pw},
		{"url credentials JSON-escaped", `{"url":"https:\/\/deploy:` + pw + `@registry.example.com\/v2"}`, pw},
		{"redis empty user", "redis://:" + pw + "@redis-master:6379/0", pw},
		{"mongodb srv", "mongodb+srv://admin:" + pw + "@cluster0.mongodb.net/test", pw},
		{"password flag space", "+ mysql --user root --password " + pw + " -e 'select 1'", pw},
		{"password flag equals", "exec /app --db-password=" + pw + " --port 8080", pw},
		{"password kv", "connecting with password=" + pw, pw},
		{"pass kv", "ftp login user=bob pass=" + pw, pw},
		{"pwd kv", "Server=db;Database=app;User Id=sa;Pwd=" + pw + ";", pw},
		{"password with spaces yaml", `password: "correct horse battery staple"`, "horse battery"},
		{"password json", `{"username":"admin","password":"` + pw + `"}`, pw},
		{"password double-encoded json", `{"body":"{\"user\":\"a\",\"password\":\"` + pw + `\"}"}`, pw},
		{"password ansi key", "\x1b[33mpassword\x1b[0m=" + pw, pw},
		{"client secret", `{"client_id":"ci-report","client_secret":"` + pw + `"}`, pw},
		{"api key header", "X-Api-Key: " + hexToken, hexToken},
		{"apikey query", "GET /v1/data?apikey=" + hexToken + "&q=1", hexToken},
		{"bearer", "Authorization: Bearer " + hexToken, hexToken},
		{"pem rsa", "loaded key:\n" + pemKey, "QWERTYuiopASDFGHjklZXCVBnm12"},
		{"pem openssh", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n-----END OPENSSH PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU"},
		{"pgp private key", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF0Aq7wBCAC8n3rX9Yq2\n-----END PGP PRIVATE KEY BLOCK-----", "lQOYBF0Aq7wBCAC8n3rX9Yq2"},
		{"log starts mid-PEM", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw\nggSjAgEAAoIBAQDKz8m3T5xWq9Yv2R7s\n-----END PRIVATE KEY-----\nserver started", "ggSjAgEAAoIBAQDKz8m3T5xWq9Yv2R7s"},
		{"kubeconfig client-key-data", "    client-key-data: " + tlsKey, tlsKey[20:60]},
		{"kubeconfig token", "    token: " + hexToken, hexToken},
		{"tls.key base64", `{"data":{"tls.crt":"LS0tLS1CRUdJTiBDRVJU","tls.key":"` + tlsKey + `"}}`, tlsKey[20:60]},
		{"docker config auth", `{"auths":{"registry.example.com":{"auth":"` + dockerAuth + `"}}}`, dockerAuth},
		{"azure account key", "DefaultEndpointsProtocol=https;AccountName=store;AccountKey=" + azureKey + ";EndpointSuffix=core.windows.net", azureKey[:40]},
		{"azure sas sig", "https://store.blob.core.windows.net/c/b?sv=2021-08-06&se=2026-12-01&sr=b&sp=r&sig=Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z%2B0%3D", "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"},
		{"gcp api key", "maps key " + gcpKey, gcpKey},
		{"npm token", "//registry.npmjs.org/:_authToken=" + npmToken, npmToken},
		{"sendgrid key", "SENDGRID_API_KEY=" + sgKey, sgKey},
		{"private key json", `{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0B\n-----END PRIVATE KEY-----\n"}`, "MIIEvgIBADANBgkqhkiG9w0B"},
		{"secret env yaml", "        - name: DB_PASSWORD\n          value: " + pw, pw},
		{"secretAccessKey yaml", "  secretAccessKey: " + awsSecret, awsSecret},
		{"klog with token", `I1122 10:00:00.000000       1 client.go:42] "Using token" token="` + hexToken + `"`, hexToken},
		{"logfmt secret", `level=debug msg="auth ok" api_key=` + hexToken, hexToken},
		{"helm set", "helm upgrade --install app ./chart --set db.password=" + pw, pw},
		{"curl user", "curl -u admin:" + pw + " https://api.example.com", pw},
		{"connection string", `ConnectionStrings__Default="Server=db;User Id=sa;Password=` + pw + `"`, pw},
		{"vault token", "VAULT_TOKEN=hvs.CAESIJ3xk8vQwE2rT5yU7iO9pA1sD3fG5hJ7kL9zX1cV3bN5", "hvs.CAESIJ3xk8vQwE2rT5yU7iO9pA1sD3fG5hJ7kL9zX1cV3bN5"},
		{"gitlab token", "GITLAB_TOKEN=glpat-xK9mN2pQ4rS6tU8vW0yZ", "glpat-xK9mN2pQ4rS6tU8vW0yZ"},
		{"describe args", "    Args:\n      --db-password\n      " + pw + "\n      --port\n      8080", pw},
		{"yaml args list", "        args:\n        - --api-key\n        - " + hexToken, hexToken},
		{"private key escaped newlines", `"key": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIOb3c5e7g9i1k3m5o7q9s\n-----END EC PRIVATE KEY-----"`, "MHcCAQEEIOb3c5e7g9i1k3m5o7q9s"},
		// SQL as Postgres and MySQL log it, and as span messages carry it.
		{"sql alter user", `2026-11-21 10:00:00 UTC [42] LOG:  statement: ALTER USER app WITH PASSWORD '` + pw + `';`, pw},
		{"sql create user", `CREATE USER reporter WITH LOGIN PASSWORD '` + pw + `' VALID UNTIL 'infinity'`, pw},
		{"sql create role encrypted", `create role ci encrypted password '` + pw + `'`, pw},
		{"sql identified by", "CREATE USER 'app'@'%' IDENTIFIED BY '" + pw + "';", pw},
		{"sql identified with", "ALTER USER 'app'@'localhost' IDENTIFIED WITH mysql_native_password BY '" + pw + "'", pw},
		{"sql set password", "SET PASSWORD FOR 'app'@'%' = '" + pw + "'", pw},
		{"sql password unquoted dollar", `ALTER ROLE app PASSWORD $$` + pw + `$$`, pw},
		// A URL whose password holds a raw @ (the last @ before the host ends it).
		{"url password with at", "postgres://app:p@ss" + pw + "@db.svc:5432/app", "ss" + pw},
		{"url password with two ats", "amqp://guest:a@b@" + pw + "@rabbit:5672/", pw},
		// mysql -pPASSWORD, glued, as set -x prints it.
		{"mysql glued -p", "+ mysql -h db -u root -p" + pw + " -e 'select 1'", pw},
		{"mysqldump glued -p quoted", "++ mysqldump -uroot '-p" + pw + "' app", pw},
		{"mysqladmin glued -p", "mysqladmin --user=root -p" + pw + " ping", pw},
		// .netrc lines.
		{"netrc", "machine api.example.com login deploy password " + pw, pw},
		{"netrc multi-line", "machine registry.example.com\n  login ci\n  password " + pw, pw},
		// A Secret's YAML with a base64 .dockerconfigjson, printed to a log.
		{"dockerconfigjson yaml", "data:\n  .dockerconfigjson: " + base64.StdEncoding.EncodeToString([]byte(`{"auths":{"ghcr.io":{"auth":"`+dockerAuth+`"}}}`)), base64.StdEncoding.EncodeToString([]byte(`{"auths":{"ghcr.io":{"auth":"` + dockerAuth + `"}}}`))[8:48]},
		{"dockerconfigjson line", "  .dockerconfigjson: " + base64.StdEncoding.EncodeToString([]byte(`{"auths":{"ghcr.io":{"username":"ci","password":"`+pw+`"}}}`)), base64.StdEncoding.EncodeToString([]byte(`{"auths":{"ghcr.io":{"username":"ci","password":"` + pw + `"}}}`))[8:48]},
		{"dockercfg json", `{".dockercfg":"` + base64.StdEncoding.EncodeToString([]byte(`{"ghcr.io":{"auth":"`+dockerAuth+`"}}`)) + `"}`, base64.StdEncoding.EncodeToString([]byte(`{"ghcr.io":{"auth":"` + dockerAuth + `"}}`))[8:48]},
		// Presigned URL signatures.
		{"s3 presigned", "GET https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + awsID + "%2F20261121%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261121T100000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024", "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"},
		{"gcs presigned", "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40p.iam.gserviceaccount.com%2F20261121%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20261121T100000Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9", "5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"},
		{"cloudfront signed", "https://d111111abcdef8.cloudfront.net/image.jpg?Expires=1700000000&Signature=nitfHRCrtziwO2HwPfWw~yYDhUF5EwRunQA-j19DzZrvDh6hQ73lDx~-ar3UocvvRQVw6EkC~GdpGQyyOSKQim-TxAnW7d8F5Kkai9HVx0FIu-5jcQb0UEmatEXAMPLE&Key-Pair-Id=K2JCJMDEHXQW5F", "nitfHRCrtziwO2HwPfWw"},
		{"gcs legacy signed", "https://storage.googleapis.com/b/o?GoogleAccessId=sa@p.iam.gserviceaccount.com&Expires=1700000000&Signature=BCl3r7Y2wq%2BKz8VQ9xP3h5s%3D", "BCl3r7Y2wq"},
	}
}

// Look-alikes: values that look random but are not secrets, and text around secret-ish
// words that debugging needs. All must come out unchanged.
func lookalikes() []string {
	return []string{
		"reconcileID=7c2e9d44-8b1a-4f0e-b5d3-2a6c9e1f4b21",
		"uid: fd774998-2b1e-48e9-b25f-a00b3bc81fce",
		"image: registry.k8s.io/pause@sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097",
		"imageID: docker.io/library/nginx@sha256:32e76d4f34f80e479964a0fbd4c5b4f6967b5322c8d004e9cf0cb81c93510766",
		"commit 3f786850e387550fdab836ed7e6dc881de23001b (HEAD -> main)",
		"git checkout 9fceb02d0ae598e95dc970b74767f19372d61af8",
		"traceID=4bf92f3577b34da6a3ce929d0e0e4736 spanID=00f067aa0ba902b7",
		"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"TokenExpirationSeconds:  3607",
		"    Type:                    Projected (a volume that contains injected data from multiple sources)",
		"      DB_PASSWORD:  <set to the key 'password' in secret 'db-credentials'>  Optional: false",
		"    SecretName:  db-credentials",
		`max_tokens=4096 temperature=0.2`,
		`{"max_tokens":4096,"prompt_tokens":812}`,
		`WWW-Authenticate: Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`,
		"--token-file=/var/run/secrets/kubernetes.io/serviceaccount/token",
		"tokenFile=/var/run/secrets/tokens/vault-token",
		`I1122 10:00:00.000000       1 secret.go:12] "Synced" secret="turbo-engine-e2e/db-credentials"`,
		"secretName: tls-orders",
		"valueFrom:\n  secretKeyRef:\n    name: db\n    key: password",
		"automountServiceAccountToken: false",
		"serviceAccountName: builder",
		"resourceVersion: \"404\"",
		"generation: 3 observedGeneration: 3",
		"kubernetes.io/service-account-token",
		"type: kubernetes.io/dockerconfigjson",
		"tokens used: 1532 of 8192",
		"password reset email sent to user 42",
		"passed=12 failed=0 skipped=1",
		"bypass cache for /api/users",
		"authentication succeeded for user bob",
		"GET /api/v1/namespaces/turbo-engine-e2e/secrets?limit=500 200 OK in 3ms",
		"apiVersion: v1",
		"key: app.kubernetes.io/name",
		"session affinity: None",
		"etag: \"33a64df551425fcc55e4d42a148795d9f25f89d4\"",
		"x-request-id: 2f1c8a7e-9b3d-4e6f-a1c2-5d7e8f9a0b1c",
		"checksum/config: 5e9b1c0a2d3f4e6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a",
		"pod-template-hash: 5b755b5754",
		"controller-revision-hash: envmanager-7c54d7fcdf",
		"md5: d41d8cd98f00b204e9800998ecf8427e",
		"sha1sum 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12  release.tar.gz",
		"digest: sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"ETag: W/\"0815\"",
		"certificate fingerprint SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
		"-----BEGIN CERTIFICATE-----",
		"tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=",
		"node kwok-node-0 ready, kubelet v1.36.3",
		"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 ci@runner (a public key)",
		"Using public key id 0x5E3F8A1B2C4D6E7F",
		"upload id 01HF8X2K9M3N4P5Q6R7S8T9V0W",
		"request took 123.456ms p99=812ms",
		"listen tcp 127.0.0.1:8443: bind: address already in use",
		"https://github.com/org/repo/pull/123/files",
		"docker pull ghcr.io/org/app:v1.2.3",
		"go: downloading k8s.io/client-go v0.36.3",
		"ulid=01ARZ3NDEKTSV4RRFFQ69G5FAV",
		"build 2026-11-21T23:30:14Z abcdef0 dirty=false",
		"kubectl get secrets -n turbo-engine-e2e",
		"error: secret \"db\" not found",
		"mount secret volume db-credentials at /etc/db",
		"authorization: allowed by ClusterRoleBinding \"ci-report\"",
		"Bearer token not provided",
		"    Args:\n      --token-file\n      /var/run/secrets/token\n      --port\n      8080",
		"SELECT id FROM users WHERE password_changed_at < now()",
		"ALTER USER app WITH LOGIN",
		"ERROR:  password authentication failed for user \"app\"",
		"mysql -h db -u root -p -e 'select 1'",
		"grep -p pattern file.txt",
		"kubectl port-forward svc/api -p8080",
		"machine learning model loaded: 3 layers",
		"the default password policy requires 12 characters",
		"machine learning password strength model v2",
		"set the default login shell",
		"contact admin@example.com for access",
		"git@github.com:org/repo.git",
		"https://github.com/org/repo/blob/main/README.md#L1",
		"GET https://bucket.s3.amazonaws.com/k?X-Amz-Expires=3600&X-Amz-SignedHeaders=host",
		"type: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: <redacted>",
	}
}

// TestCorpus scrubs every secret of the corpus (as a string and as stream lines) and
// every look-alike, and reports the leak and false-positive counts.
func TestCorpus(t *testing.T) {
	r, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	leaks := 0
	cases := secretCorpus()
	for _, c := range cases {
		out, _ := r.String(c.text)
		lines := r.NewLines().Block(strings.Split(c.text, "\n"))
		stream := strings.Join(lines, "\n")
		for what, got := range map[string]string{"string": out, "stream": stream} {
			if strings.Contains(got, c.secret) {
				leaks++
				t.Errorf("%s (%s): secret %q kept in %q", c.name, what, c.secret, got)
			}
		}
	}
	fp := 0
	for _, s := range lookalikes() {
		out, _ := r.String(s)
		lines := strings.Join(r.NewLines().Block(strings.Split(s, "\n")), "\n")
		if out != s || lines != s {
			fp++
			t.Errorf("look-alike changed:\n  in:  %q\n  out: %q\n  stream: %q", s, out, lines)
		}
	}
	if len(cases) < 60 || len(lookalikes()) < 60 {
		t.Errorf("corpus too small: %d secrets, %d look-alikes", len(cases), len(lookalikes()))
	}
	t.Logf("redaction corpus: %d secrets, %d leaks; %d look-alikes, %d false positives", len(cases), leaks, len(lookalikes()), fp)
}

// benchLines streams lines through a Lines scrubber in blocks of 512, as collect does.
func benchLines(b *testing.B, lines []string) {
	r, _ := New(nil)
	size := 0
	for _, l := range lines {
		size += len(l) + 1
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	block := make([]string, 0, 512)
	for b.Loop() {
		sc := r.NewLines()
		for i := 0; i < len(lines); i += 512 {
			block = append(block[:0], lines[i:min(i+512, len(lines))]...)
			sc.Block(block)
		}
	}
}

// BenchmarkScrubCleanLines: ordinary controller and access log lines, nothing to hide.
func BenchmarkScrubCleanLines(b *testing.B) {
	base := []string{
		`2026-11-21T23:30:14.123456789Z {"level":"info","ts":"2026-11-21T23:30:14Z","logger":"controller.apigraph","msg":"Reconciling","reconcileID":"7c2e9d44-8b1a-4f0e-b5d3-2a6c9e1f4b21","namespace":"turbo-engine-e2e","name":"orders"}`,
		`2026-11-21T23:30:14.223456789Z I1121 23:30:14.223456       1 controller.go:142] "Updated status" object="turbo-engine-e2e/orders" generation=3`,
		`2026-11-21T23:30:14.323456789Z 10.244.0.7 - - [21/Nov/2026:23:30:14 +0000] "GET /api/v1/users?limit=50 HTTP/1.1" 200 1532 "-" "kube-probe/1.36"`,
		`2026-11-21T23:30:14.423456789Z level=info msg="served request" path=/healthz status=200 duration=1.2ms`,
	}
	var lines []string
	for i := 0; i < 10000; i++ {
		lines = append(lines, base[i%len(base)])
	}
	benchLines(b, lines)
}

// BenchmarkScrubMixedLines: one line in ten holds a secret of the corpus.
func BenchmarkScrubMixedLines(b *testing.B) {
	var lines []string
	corpus := secretCorpus()
	for i := 0; i < 10000; i++ {
		if i%10 == 0 {
			lines = append(lines, strings.ReplaceAll(corpus[(i/10)%len(corpus)].text, "\n", " "))
			continue
		}
		lines = append(lines, `2026-11-21T23:30:14.123456789Z {"level":"info","msg":"Reconciling","controller":"apigraph","namespace":"turbo-engine-e2e","name":"orders"}`)
	}
	benchLines(b, lines)
}
