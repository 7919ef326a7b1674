// Package deploy holds the files that start loadlab agents on a testbed: a
// systemd unit, a container image, a compose file and a Kubernetes
// manifest (docs/deploy.md). Its test checks them against each other and
// against the agent's settings, as far as a machine without systemd,
// Docker or a cluster can.
package deploy

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// varPattern finds the LOADLAB_ variables a command reads: named in a
// flag's EnvVars, or read with os.Getenv (LOADLAB_SECRET, ...).
var varPattern = regexp.MustCompile(`(?:EnvVars: \[\]string\{|os\.Getenv\()"(LOADLAB_[A-Z_]+)"`)

// The variables that give agents and coordinators the cluster's keys as
// files (docs/security.md). Every deployment here sets both, for agents
// and coordinators alike.
const (
	secretFileVar    = "LOADLAB_SECRET_FILE"
	gossipKeyFileVar = "LOADLAB_GOSSIP_KEY_FILE"
)

var keyFileVars = []string{secretFileVar, gossipKeyFileVar}

func varsIn(src []byte) []string {
	var vars []string
	for _, m := range varPattern.FindAllSubmatch(src, -1) {
		if !slices.Contains(vars, string(m[1])) {
			vars = append(vars, string(m[1]))
		}
	}
	return vars
}

// agentVars are the LOADLAB_ variables `loadlab agent` reads, from its
// source, so that a file here naming one it does not know fails.
func agentVars(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("../cmd/loadlab/agent.go")
	if err != nil {
		t.Fatal(err)
	}
	vars := varsIn(src)
	if len(vars) < 5 {
		t.Fatalf("found only %v in cmd/loadlab/agent.go", vars)
	}
	return vars
}

// funcSource returns the text of Go function name in src, from its func
// line to its closing brace at the start of a line.
func funcSource(t *testing.T, src []byte, name string) []byte {
	t.Helper()
	head := []byte("\nfunc " + name + "(")
	i := bytes.Index(src, head)
	if i < 0 {
		t.Fatalf("no func %s in cmd/loadlab/agent.go", name)
	}
	n := bytes.Index(src[i:], []byte("\n}\n"))
	if n < 0 {
		t.Fatalf("func %s has no end", name)
	}
	return src[i : i+n]
}

// coordinatorVars are the LOADLAB_ variables a coordinator (`loadlab run`,
// `loadlab sweep`) reads for the keys: those of keyFlags and clusterKeys,
// which both commands must use.
func coordinatorVars(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("../cmd/loadlab/agent.go")
	if err != nil {
		t.Fatal(err)
	}
	vars := varsIn(append(funcSource(t, src, "keyFlags"), funcSource(t, src, "clusterKeys")...))
	for _, f := range []string{"run.go", "sweep.go"} {
		cmd, err := os.ReadFile("../cmd/loadlab/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(cmd, []byte("keyFlags()...")) || !bytes.Contains(cmd, []byte("clusterKeys(c)")) {
			t.Errorf("cmd/loadlab/%s: no keyFlags() or clusterKeys(c): a coordinator must take the key options", f)
		}
	}
	return vars
}

func TestVariablesAreTheAgents(t *testing.T) {
	known := agentVars(t)
	for _, v := range keyFileVars {
		if !slices.Contains(known, v) {
			t.Errorf("loadlab agent does not read %s (it reads %v)", v, known)
		}
	}
	for _, f := range []string{"agent.env", "compose.yaml", "k8s/agents.yaml", "loadlab-agent.service"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range regexp.MustCompile(`LOADLAB_[A-Z_]+`).FindAll(data, -1) {
			if !slices.Contains(known, string(v)) {
				t.Errorf("%s: %s is not a setting of loadlab agent (it reads %v)", f, v, known)
			}
		}
	}
}

// TestCoordinatorVariables: the key variables exist for coordinators, and
// the deployment guide names only variables some command reads.
func TestCoordinatorVariables(t *testing.T) {
	known := coordinatorVars(t)
	for _, v := range keyFileVars {
		if !slices.Contains(known, v) {
			t.Errorf("coordinators do not read %s (they read %v)", v, known)
		}
	}
	var all []string
	files, err := filepath.Glob("../cmd/loadlab/*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, varsIn(src)...)
	}
	for _, f := range []string{"k8s/coordinator-job.yaml", "../docs/deploy.md"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range regexp.MustCompile(`LOADLAB_[A-Z_]+`).FindAll(data, -1) {
			if !slices.Contains(all, string(v)) {
				t.Errorf("%s: %s is read by no loadlab command", f, v)
			}
		}
	}
}

// TestNoInsecure: no deployment runs agents or coordinators without the
// keys, and none holds a key itself (only the files' paths).
func TestNoInsecure(t *testing.T) {
	forbidden := regexp.MustCompile(`LOADLAB_INSECURE|--insecure|\bLOADLAB_(SECRET|GOSSIP_KEY)\b`)
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
			if err == nil && d.IsDir() && path == "secrets" {
				return fs.SkipDir // compose's keys, made locally (compose.yaml)
			}
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range forbidden.FindAll(data, -1) {
			t.Errorf("%s names %s: deployments give the keys as files (%s, %s) and never run insecure", path, m, secretFileVar, gossipKeyFileVar)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEnvironmentFile: agent.env is what EnvironmentFile= reads: only
// comments, blank lines and VARIABLE=value.
func TestEnvironmentFile(t *testing.T) {
	data, err := os.ReadFile("agent.env")
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.ContainsAny(k, " \t") || strings.ContainsAny(v, `"'`) {
			t.Errorf("agent.env:%d: %q is not VARIABLE=value", i+1, line)
		}
		set[k] = v
	}
	if set["LOADLAB_BIND"] != "auto" || set["LOADLAB_JOIN"] == "" {
		t.Errorf("agent.env sets %v, want LOADLAB_BIND=auto and a LOADLAB_JOIN example", set)
	}
}

func TestSystemdUnit(t *testing.T) {
	data, err := os.ReadFile("loadlab-agent.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nEnvironmentFile=/etc/loadlab/agent.env\n", "\nExecStart=/usr/local/bin/loadlab agent\n", "\nKillSignal=SIGTERM\n", "\n[Install]\n"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("loadlab-agent.service lacks %q", strings.TrimSpace(want))
		}
	}
	// The keys: each a credential loaded from a root-only file under
	// /etc/loadlab, the agent pointed at its copy in %d (the credentials
	// directory). agent.env must not set the variables: EnvironmentFile=
	// would override Environment=.
	creds := map[string]string{}
	env := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "LoadCredential="); ok {
			id, path, _ := strings.Cut(v, ":")
			creds[id] = path
		}
		if v, ok := strings.CutPrefix(line, "Environment="); ok {
			for _, kv := range strings.Fields(v) {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
		}
	}
	files := map[string]bool{}
	for _, v := range keyFileVars {
		id, ok := strings.CutPrefix(env[v], "%d/")
		if !ok || creds[id] == "" {
			t.Errorf("loadlab-agent.service: Environment= sets %s=%q, want %%d/ID of a LoadCredential=ID:PATH (have %v)", v, env[v], creds)
			continue
		}
		if !strings.HasPrefix(creds[id], "/etc/loadlab/") || files[creds[id]] {
			t.Errorf("loadlab-agent.service: %s from %q, want a file of its own under /etc/loadlab", v, creds[id])
		}
		files[creds[id]] = true
	}
	agentEnv, err := os.ReadFile("agent.env")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range keyFileVars {
		if regexp.MustCompile(`(?m)^` + v + `=`).Match(agentEnv) {
			t.Errorf("agent.env sets %s: it would override the unit's credential", v)
		}
	}
}

// TestDockerfile: a static binary, built with the Go of go.mod.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	if goVersion == nil {
		t.Fatal("no go directive in go.mod")
	}
	for _, want := range []string{"FROM golang:" + string(goVersion[1]) + " ", "CGO_ENABLED=0 go build", "./cmd/loadlab", "FROM gcr.io/distroless/static", `ENTRYPOINT ["/loadlab"]`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

// composeSecret is a service's secret in either of compose's syntaxes: a
// name, or source and target.
type composeSecret struct {
	Source, Target string
}

func (s *composeSecret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		s.Source = n.Value
	} else if err := n.Decode(&struct {
		Source *string `yaml:"source"`
		Target *string `yaml:"target"`
	}{&s.Source, &s.Target}); err != nil {
		return err
	}
	if s.Target == "" {
		s.Target = s.Source
	}
	if !strings.HasPrefix(s.Target, "/") {
		s.Target = "/run/secrets/" + s.Target
	}
	return nil
}

func TestCompose(t *testing.T) {
	var c struct {
		Services map[string]struct {
			Build struct {
				Context    string `yaml:"context"`
				Dockerfile string `yaml:"dockerfile"`
			} `yaml:"build"`
			Image       string            `yaml:"image"`
			Environment map[string]string `yaml:"environment"`
			Ports       []string          `yaml:"ports"`
			Networks    []string          `yaml:"networks"`
			Secrets     []composeSecret   `yaml:"secrets"`
		} `yaml:"services"`
		Networks map[string]any `yaml:"networks"`
		Secrets  map[string]struct {
			File string `yaml:"file"`
		} `yaml:"secrets"`
	}
	readYAML(t, "compose.yaml", &c)
	agent, ok := c.Services["agent"]
	if !ok {
		t.Fatalf("compose.yaml: no service agent (services %v)", c.Services)
	}
	if _, ok := c.Services["coordinator"]; !ok {
		t.Errorf("compose.yaml: no service coordinator (services %v)", c.Services)
	}
	if _, err := os.Stat(agent.Build.Context + "/" + agent.Build.Dockerfile); err != nil {
		t.Errorf("compose.yaml: build: %v", err)
	}
	if host := joinHost(t, agent.Environment["LOADLAB_JOIN"]); host != "agent" {
		t.Errorf("compose.yaml: agents join %q, want the service name agent", host)
	}
	if agent.Environment["LOADLAB_BIND"] != "auto" {
		t.Errorf("compose.yaml: LOADLAB_BIND %q, want auto", agent.Environment["LOADLAB_BIND"])
	}
	if len(agent.Ports) > 0 {
		t.Errorf("compose.yaml publishes %v: agents stay on the project network (defence in depth)", agent.Ports)
	}
	coordinator := coordinatorVars(t)
	for name, s := range c.Services {
		if s.Image != agent.Image || !slices.Equal(s.Networks, agent.Networks) {
			t.Errorf("compose.yaml: service %s runs %q on %v, want %q on %v", name, s.Image, s.Networks, agent.Image, agent.Networks)
		}
		// Every service, agent or coordinator, reads each key from a
		// secret it mounts, each from a file of its own, the same files
		// for all.
		files := map[string]bool{}
		for _, v := range keyFileVars {
			if name != "agent" && !slices.Contains(coordinator, v) {
				t.Errorf("compose.yaml: service %s sets %s, which coordinators do not read", name, v)
			}
			i := slices.IndexFunc(s.Secrets, func(sec composeSecret) bool { return sec.Target == s.Environment[v] })
			if i < 0 {
				t.Errorf("compose.yaml: service %s sets %s=%q, which is none of its secrets %v", name, v, s.Environment[v], s.Secrets)
				continue
			}
			file := c.Secrets[s.Secrets[i].Source].File
			if !strings.HasPrefix(file, "./secrets/") || files[file] {
				t.Errorf("compose.yaml: service %s reads %s from secret %s, file %q: want a file of its own under ./secrets/", name, v, s.Secrets[i].Source, file)
			}
			files[file] = true
		}
		if !slices.Equal(s.Secrets, agent.Secrets) {
			t.Errorf("compose.yaml: service %s mounts secrets %v, the agents %v: want the same keys", name, s.Secrets, agent.Secrets)
		}
	}
	// The key files stay out of git and out of the image's build context.
	for f, want := range map[string]string{".gitignore": "/secrets/", "Dockerfile.dockerignore": "deploy/secrets"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(strings.Split(string(data), "\n"), want) {
			t.Errorf("%s lacks the line %q: compose's key files must never be committed or built into an image", f, want)
		}
	}
}

// k8sPod is the part of a pod template these tests read.
type k8sPod struct {
	Metadata struct {
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		SecurityContext struct {
			RunAsNonRoot bool   `yaml:"runAsNonRoot"`
			RunAsUser    *int64 `yaml:"runAsUser"`
			FSGroup      *int64 `yaml:"fsGroup"`
		} `yaml:"securityContext"`
		Volumes []struct {
			Name   string `yaml:"name"`
			Secret *struct {
				SecretName  string `yaml:"secretName"`
				DefaultMode *int   `yaml:"defaultMode"`
				Items       []any  `yaml:"items"`
			} `yaml:"secret"`
		} `yaml:"volumes"`
		Containers []struct {
			Args []string `yaml:"args"`
			Env  []struct {
				Name  string `yaml:"name"`
				Value string `yaml:"value"`
			} `yaml:"env"`
			VolumeMounts []struct {
				Name      string `yaml:"name"`
				MountPath string `yaml:"mountPath"`
				ReadOnly  bool   `yaml:"readOnly"`
				SubPath   string `yaml:"subPath"`
			} `yaml:"volumeMounts"`
		} `yaml:"containers"`
	} `yaml:"spec"`
}

// k8sDoc is the part of a Kubernetes resource these tests read.
type k8sDoc struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		ClusterIP                string           `yaml:"clusterIP"`
		PublishNotReadyAddresses bool             `yaml:"publishNotReadyAddresses"`
		Selector                 map[string]any   `yaml:"selector"`
		ServiceName              string           `yaml:"serviceName"`
		Ports                    []map[string]any `yaml:"ports"`
		Template                 k8sPod           `yaml:"template"`
		PodSelector              struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"podSelector"`
	} `yaml:"spec"`
}

// readK8s reads a manifest's resources by kind (one of each kind).
func readK8s(t *testing.T, path string) map[string]k8sDoc {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs := map[string]k8sDoc{}
	dec := yaml.NewDecoder(f)
	dec.KnownFields(false)
	for {
		var d k8sDoc
		if err := dec.Decode(&d); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("%s: %v", path, err)
		}
		if d.APIVersion == "" || d.Kind == "" || d.Metadata.Name == "" {
			t.Errorf("%s: a document without apiVersion, kind or name: %+v", path, d)
		}
		if _, dup := docs[d.Kind]; dup {
			t.Errorf("%s: two resources of kind %s", path, d.Kind)
		}
		docs[d.Kind] = d
	}
	return docs
}

// podKeys checks that a pod's one container reads each key from a file of
// its own in a Secret volume it mounts read-only, readable by the pod's
// non-root user through fsGroup and by no one else, and returns the
// Secret's name and the container's environment.
func podKeys(t *testing.T, what string, pod k8sPod, allowed []string) (secret string, env map[string]string) {
	t.Helper()
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%s: want one container, got %d", what, len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	env = map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	sc := pod.Spec.SecurityContext
	if !sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 || sc.FSGroup == nil {
		t.Errorf("%s: securityContext %+v: want runAsNonRoot with a numeric runAsUser (the image's user is a name) and an fsGroup to read the keys", what, sc)
	}
	files := map[string]bool{}
	for _, v := range keyFileVars {
		if !slices.Contains(allowed, v) {
			t.Errorf("%s: %s is not read by it (it reads %v)", what, v, allowed)
		}
		path := env[v]
		found := false
		for _, m := range c.VolumeMounts {
			rel, ok := strings.CutPrefix(path, strings.TrimSuffix(m.MountPath, "/")+"/")
			if !ok || strings.Contains(rel, "/") || m.SubPath != "" {
				continue
			}
			for _, vol := range pod.Spec.Volumes {
				if vol.Name != m.Name || vol.Secret == nil {
					continue
				}
				found = true
				if !m.ReadOnly || len(vol.Secret.Items) > 0 {
					t.Errorf("%s: mount %s: want read-only, the whole Secret (no items)", what, m.Name)
				}
				mode := 0o644 // Kubernetes' default
				if vol.Secret.DefaultMode != nil {
					mode = *vol.Secret.DefaultMode
				}
				if mode&0o040 == 0 || mode&0o007 != 0 {
					t.Errorf("%s: Secret volume mode %#o: want group-readable (fsGroup), not world-readable", what, mode)
				}
				if secret != "" && secret != vol.Secret.SecretName {
					t.Errorf("%s: keys from Secrets %s and %s, want one", what, secret, vol.Secret.SecretName)
				}
				secret = vol.Secret.SecretName
			}
		}
		if !found || files[path] {
			t.Errorf("%s: %s=%q: want a file of its own in a mounted Secret volume", what, v, path)
		}
		files[path] = true
	}
	return secret, env
}

func TestKubernetes(t *testing.T) {
	docs := readK8s(t, "k8s/agents.yaml")
	svc, sts := docs["Service"], docs["StatefulSet"]
	if svc.Spec.ClusterIP != "None" || !svc.Spec.PublishNotReadyAddresses {
		t.Errorf("Service: clusterIP %q, publishNotReadyAddresses %v: want a headless Service that lists pods before they are ready", svc.Spec.ClusterIP, svc.Spec.PublishNotReadyAddresses)
	}
	if sts.Spec.ServiceName != svc.Metadata.Name {
		t.Errorf("StatefulSet serviceName %q, want the Service %q", sts.Spec.ServiceName, svc.Metadata.Name)
	}
	for k, v := range svc.Spec.Selector {
		if sts.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("the Service selects %s=%v, which the pods do not carry (%v)", k, v, sts.Spec.Template.Metadata.Labels)
		}
	}
	secret, env := podKeys(t, "StatefulSet", sts.Spec.Template, agentVars(t))
	if secret == "" {
		t.Error("StatefulSet: agents mount no Secret")
	}
	c := sts.Spec.Template.Spec.Containers[0]
	if !slices.Equal(c.Args, []string{"agent"}) || env["LOADLAB_BIND"] != "auto" {
		t.Errorf("container runs %v with LOADLAB_BIND %q, want agent with auto", c.Args, env["LOADLAB_BIND"])
	}
	if host := joinHost(t, env["LOADLAB_JOIN"]); host != svc.Metadata.Name {
		t.Errorf("agents join %q, want the headless Service %q", host, svc.Metadata.Name)
	}
	if np, ok := docs["NetworkPolicy"]; !ok || np.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] != sts.Spec.Template.Metadata.Labels["app.kubernetes.io/name"] {
		t.Error("no NetworkPolicy selecting the agents: keep them unreachable from other pods (defence in depth)")
	}
}

func joinHost(t *testing.T, join string) string {
	t.Helper()
	host, _, err := net.SplitHostPort(join)
	if err != nil {
		t.Errorf("LOADLAB_JOIN %q: %v", join, err)
	}
	return host
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestCoordinatorJob: the Job's pods carry the label the agents'
// NetworkPolicy admits, join the headless Service, and read the agents'
// keys from the same Secret.
func TestCoordinatorJob(t *testing.T) {
	docs := readK8s(t, "k8s/coordinator-job.yaml")
	job, ok := docs["Job"]
	if !ok {
		t.Fatal("k8s/coordinator-job.yaml: no Job")
	}
	agents, err := os.ReadFile("k8s/agents.yaml")
	if err != nil {
		t.Fatal(err)
	}
	label := job.Spec.Template.Metadata.Labels["app.kubernetes.io/name"]
	if job.Kind != "Job" || label == "" || !bytes.Contains(agents, []byte("app.kubernetes.io/name: "+label+"\n")) {
		t.Errorf("coordinator %s labelled %q: want a Job whose label the agents' NetworkPolicy admits", job.Kind, label)
	}
	secret, _ := podKeys(t, "Job", job.Spec.Template, coordinatorVars(t))
	var agentSecrets []string
	for _, vol := range readK8s(t, "k8s/agents.yaml")["StatefulSet"].Spec.Template.Spec.Volumes {
		if vol.Secret != nil {
			agentSecrets = append(agentSecrets, vol.Secret.SecretName)
		}
	}
	if secret == "" || !slices.Equal(agentSecrets, []string{secret}) {
		t.Errorf("the coordinator's keys come from Secret %q, the agents' from %v: want the same", secret, agentSecrets)
	}
	args := strings.Join(job.Spec.Template.Spec.Containers[0].Args, " ")
	for _, want := range []string{"run --backend testbed", "--bind auto", "--join loadlab-agent:7946"} {
		if !strings.Contains(args, want) {
			t.Errorf("coordinator runs %q, want %q in it", args, want)
		}
	}
	if np, ok := docs["NetworkPolicy"]; !ok || np.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] != label {
		t.Error("no NetworkPolicy selecting the coordinator: only agents need reach it (defence in depth)")
	}
}
