package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The files of deploy/ run tartansim on engines teams already have. Nothing
// here can run Kubernetes or GitHub Actions, so these specs hold the files
// to what can be checked: the YAML is well-formed, the engine's settings
// that keep a sharded run honest are there, the shard count agrees
// everywhere, and every tartansim command line in them (and in the docs'
// section on shards) is accepted by tartansim itself.

const (
	k8sFile      = "../../deploy/kubernetes/tartansim-load.yaml"
	actionsFile  = "../../deploy/github-actions/tartansim-load.yml"
	loadDocsFile = "../../docs/load.md"
)

type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		AccessModes          []string `yaml:"accessModes"`
		CompletionMode       string   `yaml:"completionMode"`
		Completions          *int     `yaml:"completions"`
		Parallelism          *int     `yaml:"parallelism"`
		BackoffLimitPerIndex *int     `yaml:"backoffLimitPerIndex"`
		BackoffLimit         *int     `yaml:"backoffLimit"`
		Template             struct {
			Spec struct {
				RestartPolicy string `yaml:"restartPolicy"`
				Containers    []struct {
					Command []string `yaml:"command"`
					Args    []string `yaml:"args"`
					Env     []struct {
						Name  string `yaml:"name"`
						Value string `yaml:"value"`
					} `yaml:"env"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name  string `yaml:"name"`
					Claim struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type workflow struct {
	Jobs map[string]struct {
		Needs    string            `yaml:"needs"`
		If       string            `yaml:"if"`
		Outputs  map[string]string `yaml:"outputs"`
		Strategy struct {
			FailFast *bool `yaml:"fail-fast"`
			Matrix   struct {
				Shard []int `yaml:"shard"`
			} `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			ID   string            `yaml:"id"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			If   string            `yaml:"if"`
			With map[string]any    `yaml:"with"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

var _ = Describe("deploy/", Label("load", "deploy"), func() {
	BeforeEach(func() {
		GinkgoT().Setenv(envKey, "deploy-spec-key") // the engines' secret, for the dry runs
	})

	It("runs the shards as a Kubernetes Indexed Job that start together, then merges them", func() {
		docs := readYAMLDocs[k8sObject](k8sFile)
		Expect(docs).To(HaveLen(3))
		claim, load, merge := docs[0], docs[1], docs[2]
		Expect(claim.Kind).To(Equal("PersistentVolumeClaim"))
		Expect(claim.Spec.AccessModes).To(ContainElement("ReadWriteMany"), "the shards write from several nodes")
		Expect(load.Kind).To(Equal("Job"))
		Expect(merge.Kind).To(Equal("Job"))

		Expect(load.Spec.CompletionMode).To(Equal("Indexed"))
		Expect(load.Spec.Completions).NotTo(BeNil())
		shards := *load.Spec.Completions
		Expect(load.Spec.Parallelism).To(HaveValue(Equal(shards)), "every shard runs at once")
		Expect(load.Spec.BackoffLimitPerIndex).To(HaveValue(BeZero()), "a retried shard would send its part twice")
		Expect(merge.Spec.BackoffLimit).To(HaveValue(BeZero()))
		for _, job := range []k8sObject{load, merge} {
			pod := job.Spec.Template.Spec
			Expect(pod.RestartPolicy).To(Equal("Never"), job.Metadata.Name)
			Expect(pod.Volumes).To(HaveLen(1))
			Expect(pod.Volumes[0].Claim.ClaimName).To(Equal(claim.Metadata.Name), job.Metadata.Name)
			Expect(pod.Containers).To(HaveLen(1))
			Expect(pod.Containers[0].VolumeMounts).To(ConsistOf(HaveField("Name", pod.Volumes[0].Name)))
			Expect(pod.Containers[0].Command).To(Equal([]string{"sh", "-c"}))
			Expect(pod.Containers[0].Args).To(HaveLen(1))
		}
		env := map[string]string{}
		for _, e := range load.Spec.Template.Spec.Containers[0].Env {
			env[e.Name] = e.Value
		}
		Expect(env).To(HaveKeyWithValue("START_AT", "__START_AT__"), "the placeholder docs/load.md says to replace")
		Expect(env).To(HaveKey(envTarget))
		Expect(env).To(HaveKey(envKey)) // from a Secret: no value here
		Expect(env[envKey]).To(BeEmpty())

		script := load.Spec.Template.Spec.Containers[0].Args[0]
		mount := load.Spec.Template.Spec.Containers[0].VolumeMounts[0].MountPath
		Expect(script).To(ContainSubstring(`mv "` + mount + `/.shard-$JOB_COMPLETION_INDEX.json" "` + mount + `/shard-$JOB_COMPLETION_INDEX.json"`))
		GinkgoT().Setenv(envTarget, env[envTarget])
		startAt := time.Now().Add(time.Hour).UTC().Format(time.RFC3339) // what sed puts in
		dryRunEveryShard(script, shards, func(i int) map[string]string {
			return map[string]string{"JOB_COMPLETION_INDEX": strconv.Itoa(i), "START_AT": startAt}
		})

		mergeEnv := map[string]string{}
		for _, e := range merge.Spec.Template.Spec.Containers[0].Env {
			mergeEnv[e.Name] = e.Value
		}
		Expect(mergeEnv).To(HaveKeyWithValue("SHARDS", strconv.Itoa(shards)), "the merge Job waits for every shard")
		mergeScript := merge.Spec.Template.Spec.Containers[0].Args[0]
		Expect(mergeScript).To(ContainSubstring(`ls ` + mount + `/shard-*.json`))
		checkMerge(mergeScript, mergeEnv, mount+"/shard-0.json")
	})

	It("runs the shards as a GitHub Actions matrix that start together, then a merge job", func() {
		var wf workflow
		readYAML(actionsFile, &wf)
		Expect(wf.Jobs).To(HaveKey("plan"))
		Expect(wf.Jobs).To(HaveKey("load"))
		Expect(wf.Jobs).To(HaveKey("merge"))
		plan, load, merge := wf.Jobs["plan"], wf.Jobs["load"], wf.Jobs["merge"]

		Expect(plan.Outputs).To(HaveKeyWithValue("start-at", "${{ steps.when.outputs.start-at }}"))
		Expect(plan.Steps).To(ContainElement(And(HaveField("ID", "when"), HaveField("Run", ContainSubstring(`echo "start-at=$(date -u -d '+`)))))

		Expect(load.Needs).To(Equal("plan"))
		Expect(load.Strategy.FailFast).To(HaveValue(BeFalse()), "one failed shard must not cancel the others")
		shards := len(load.Strategy.Matrix.Shard)
		Expect(shards).To(BeNumerically(">", 1))
		for i, s := range load.Strategy.Matrix.Shard {
			Expect(s).To(Equal(i), "the matrix lists shards 0 to N-1")
		}
		var script, artifact string
		for _, st := range load.Steps {
			if strings.Contains(st.Run, "tartansim load") {
				script = st.Run
				Expect(st.Env).To(HaveKey(envTarget))
				Expect(st.Env).To(HaveKeyWithValue(envKey, "${{ secrets.TARTAN_APP_KEY }}"))
			}
			if strings.HasPrefix(st.Uses, "actions/upload-artifact@") {
				Expect(st.If).To(Equal("${{ !cancelled() }}"), "a shard's report is kept when it exits 1 or 3")
				artifact = fmt.Sprint(st.With["name"])
				Expect(st.With["path"]).To(Equal("shard-${{ matrix.shard }}.json"))
			}
		}
		Expect(script).NotTo(BeEmpty())
		Expect(script).To(ContainSubstring(`--json > "shard-${{ matrix.shard }}.json"`))
		GinkgoT().Setenv(envTarget, "https://staging.example.com/tartan/webhook")
		startAt := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		dryRunEveryShard(script, shards, func(i int) map[string]string {
			return map[string]string{"${{ matrix.shard }}": strconv.Itoa(i), "${{ needs.plan.outputs.start-at }}": startAt}
		})

		Expect(merge.Needs).To(Equal("load"))
		Expect(merge.If).To(Equal("${{ !cancelled() }}"), "merge names a failed shard instead of being skipped")
		var pattern, mergeScript string
		for _, st := range merge.Steps {
			if strings.HasPrefix(st.Uses, "actions/download-artifact@") {
				pattern = fmt.Sprint(st.With["pattern"])
				Expect(st.With["merge-multiple"]).To(BeTrue())
			}
			if strings.Contains(st.Run, "tartansim merge") {
				mergeScript = st.Run
			}
		}
		for i := range shards {
			name := strings.ReplaceAll(artifact, "${{ matrix.shard }}", strconv.Itoa(i))
			Expect(filepath.Match(pattern, name)).To(BeTrue(), "the merge job downloads %s", name)
			Expect(filepath.Match("shard-*.json", name+".json")).To(BeTrue())
		}
		Expect(mergeScript).To(ContainSubstring("merge shard-*.json"))
		checkMerge(mergeScript, nil, "shard-0.json")
	})

	It("is what docs/load.md shows, and every command line of its section on shards is accepted", func() {
		src, err := os.ReadFile(loadDocsFile)
		Expect(err).NotTo(HaveOccurred())
		doc := string(src)
		for _, want := range []string{
			"../deploy/kubernetes/tartansim-load.yaml", "../deploy/github-actions/tartansim-load.yml", "../deploy/Dockerfile",
			`sed "s/__START_AT__/$START_AT/" deploy/kubernetes/tartansim-load.yaml | kubectl apply -f -`,
		} {
			Expect(doc).To(ContainSubstring(want))
		}
		k8s, err := os.ReadFile(k8sFile)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(k8s)).To(ContainSubstring(`sed "s/__START_AT__/$START_AT/" deploy/kubernetes/tartansim-load.yaml | kubectl apply -f -`))

		section := doc[strings.Index(doc, "## Beyond one machine"):]
		if next := strings.Index(section[3:], "\n## "); next > 0 {
			section = section[:next+3]
		}
		startAt := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		vars := map[string]string{"START_AT": startAt}
		checked := 0
		for _, line := range codeLines(section) {
			switch {
			case strings.HasPrefix(line, "tartansim load "):
				r := tartansim("", append(shellWords(line, vars)[1:], "--dry-run")...)
				Expect(r.code).To(Equal(0), "docs/load.md: %s\n%s", line, r.output())
				checked++
			case strings.HasPrefix(line, "tartansim merge "):
				checkMerge(line, vars, "shard-0.json")
				checked++
			}
		}
		Expect(checked).To(BeNumerically(">=", 3), "the section shows the commands")
	})
})

// dryRunEveryShard runs the tartansim load command line of script as each
// of shards shards would, with the variables vars(i) gives, with --dry-run:
// each must be accepted, and say it is shard i of shards.
func dryRunEveryShard(script string, shards int, vars func(i int) map[string]string) {
	GinkgoHelper()
	for i := range shards {
		v := vars(i)
		line := script
		for k, val := range v {
			if strings.HasPrefix(k, "${{") {
				line = strings.ReplaceAll(line, k, val)
			}
		}
		words := shellWords(line[strings.Index(line, "tartansim load"):], v)
		Expect(words).To(ContainElement(fmt.Sprintf("%d/%d", i, shards)), "--shard I/N with N the number of shards")
		Expect(words).NotTo(ContainElements("--max-p99", "--max-error-rate", "--min-rate"), "thresholds are merge's")
		r := tartansim("", append(words[1:], "--dry-run")...)
		Expect(r.code).To(Equal(0), "shard %d: %v\n%s", i, words, r.output())
		Expect(r.stdout).To(ContainSubstring(fmt.Sprintf("shard %d/%d: ", i, shards)))
		Expect(r.stdout).To(ContainSubstring("starting at "))
	}
}

// checkMerge runs the tartansim merge command line of script with its
// reports replaced by missing, a file that is not there: its flags must be
// accepted, so that the refusal is the missing file's.
func checkMerge(script string, vars map[string]string, missing string) {
	GinkgoHelper()
	words := shellWords(script[strings.Index(script, "tartansim merge"):], vars)
	var args []string
	for _, w := range words[2:] {
		if strings.Contains(w, "*") {
			w = missing
		}
		args = append(args, w)
	}
	r := tartansim("", append([]string{"merge"}, args...)...)
	Expect(r.code).To(Equal(2), r.output())
	Expect(r.stderr).To(Equal("tartansim: cannot read " + missing + ": no such file.\n"))
}

func readYAML(path string, v any) {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	Expect(yaml.Unmarshal(data, v)).To(Succeed(), path)
}

func readYAMLDocs[T any](path string) []T {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []T
	for {
		var v T
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out
		}
		Expect(err).NotTo(HaveOccurred(), path)
		out = append(out, v)
	}
}

// codeLines returns the lines of the fenced code blocks of a Markdown text,
// with backslash continuations joined.
func codeLines(md string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(strings.ReplaceAll(md, "\\\n", " "), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			in = !in
			continue
		}
		if in {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

var shellVar = regexp.MustCompile(`^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)`)

// shellWords splits a shell command line into words as sh does, with
// $VAR and ${VAR} taken from vars, up to its first operator (> < ; | & or
// a comment): enough for the command lines of deploy/ and docs/. A
// variable not in vars fails the spec.
func shellWords(line string, vars map[string]string) []string {
	GinkgoHelper()
	line = strings.ReplaceAll(line, "\\\n", " ")
	var words []string
	var cur strings.Builder
	inWord, quote := false, byte(0)
	expand := func(i int) int {
		m := shellVar.FindString(line[i:])
		if m == "" {
			cur.WriteByte('$')
			return i + 1
		}
		name := strings.Trim(m[1:], "{}")
		v, ok := vars[name]
		Expect(ok).To(BeTrue(), "$%s in %q", name, line)
		cur.WriteString(v)
		return i + len(m)
	}
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
			i++
		case quote == '"':
			switch c {
			case '"':
				quote = 0
				i++
			case '$':
				i = expand(i)
			default:
				cur.WriteByte(c)
				i++
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
			i++
		case c == '$':
			inWord = true
			i = expand(i)
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			i++
		case strings.IndexByte("><;|&", c) >= 0 || (c == '#' && !inWord):
			i = len(line)
		default:
			cur.WriteByte(c)
			inWord = true
			i++
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
