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
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// agentVars are the LOADLAB_ variables `loadlab agent` reads, from its
// source, so that a file here naming one it does not know fails.
func agentVars(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("../cmd/loadlab/agent.go")
	if err != nil {
		t.Fatal(err)
	}
	var vars []string
	for _, m := range regexp.MustCompile(`EnvVars: \[\]string\{"(LOADLAB_[A-Z_]+)"\}`).FindAllSubmatch(src, -1) {
		vars = append(vars, string(m[1]))
	}
	if len(vars) < 5 {
		t.Fatalf("found only %v in cmd/loadlab/agent.go", vars)
	}
	return vars
}

func TestVariablesAreTheAgents(t *testing.T) {
	known := agentVars(t)
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
		} `yaml:"services"`
		Networks map[string]any `yaml:"networks"`
	}
	readYAML(t, "compose.yaml", &c)
	agent, ok := c.Services["agent"]
	if !ok {
		t.Fatalf("compose.yaml: no service agent (services %v)", c.Services)
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
		t.Errorf("compose.yaml publishes %v: agents that do not authenticate must stay on the project network", agent.Ports)
	}
	for name, s := range c.Services {
		if s.Image != agent.Image || !slices.Equal(s.Networks, agent.Networks) {
			t.Errorf("compose.yaml: service %s runs %q on %v, want %q on %v", name, s.Image, s.Networks, agent.Image, agent.Networks)
		}
	}
}

func TestKubernetes(t *testing.T) {
	f, err := os.Open("k8s/agents.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type meta struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	}
	type doc struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   meta   `yaml:"metadata"`
		Spec       struct {
			ClusterIP                string           `yaml:"clusterIP"`
			PublishNotReadyAddresses bool             `yaml:"publishNotReadyAddresses"`
			Selector                 map[string]any   `yaml:"selector"`
			ServiceName              string           `yaml:"serviceName"`
			Ports                    []map[string]any `yaml:"ports"`
			Template                 struct {
				Metadata meta `yaml:"metadata"`
				Spec     struct {
					Containers []struct {
						Args []string `yaml:"args"`
						Env  []struct {
							Name  string `yaml:"name"`
							Value string `yaml:"value"`
						} `yaml:"env"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	docs := map[string]doc{}
	dec := yaml.NewDecoder(f)
	dec.KnownFields(false)
	for {
		var d doc
		if err := dec.Decode(&d); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("k8s/agents.yaml: %v", err)
		}
		if d.APIVersion == "" || d.Kind == "" || d.Metadata.Name == "" {
			t.Errorf("k8s/agents.yaml: a document without apiVersion, kind or name: %+v", d)
		}
		docs[d.Kind] = d
	}
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
	if len(sts.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("StatefulSet: want one container, got %d", len(sts.Spec.Template.Spec.Containers))
	}
	c := sts.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if !slices.Equal(c.Args, []string{"agent"}) || env["LOADLAB_BIND"] != "auto" {
		t.Errorf("container runs %v with LOADLAB_BIND %q, want agent with auto", c.Args, env["LOADLAB_BIND"])
	}
	if host := joinHost(t, env["LOADLAB_JOIN"]); host != svc.Metadata.Name {
		t.Errorf("agents join %q, want the headless Service %q", host, svc.Metadata.Name)
	}
	if _, ok := docs["NetworkPolicy"]; !ok {
		t.Error("no NetworkPolicy: agents that do not authenticate must not be reachable from every pod")
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
// NetworkPolicy admits, and join the headless Service.
func TestCoordinatorJob(t *testing.T) {
	var job struct {
		Kind string `yaml:"kind"`
		Spec struct {
			Template struct {
				Metadata struct {
					Labels map[string]string `yaml:"labels"`
				} `yaml:"metadata"`
				Spec struct {
					Containers []struct {
						Args []string `yaml:"args"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	readYAML(t, "k8s/coordinator-job.yaml", &job)
	agents, err := os.ReadFile("k8s/agents.yaml")
	if err != nil {
		t.Fatal(err)
	}
	label := job.Spec.Template.Metadata.Labels["app.kubernetes.io/name"]
	if job.Kind != "Job" || label == "" || !bytes.Contains(agents, []byte("app.kubernetes.io/name: "+label+"\n")) {
		t.Errorf("coordinator %s labelled %q: want a Job whose label the agents' NetworkPolicy admits", job.Kind, label)
	}
	if len(job.Spec.Template.Spec.Containers) != 1 {
		t.Fatal("want one container")
	}
	args := strings.Join(job.Spec.Template.Spec.Containers[0].Args, " ")
	for _, want := range []string{"run --backend testbed", "--bind auto", "--join loadlab-agent:7946"} {
		if !strings.Contains(args, want) {
			t.Errorf("coordinator runs %q, want %q in it", args, want)
		}
	}
}
