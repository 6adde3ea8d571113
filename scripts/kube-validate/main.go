// kube-validate checks Kubernetes objects without an API server, as the server's decoder
// would: each document of the YAML files (or stdin) must be a built-in kind, decode strictly
// (no unknown or duplicate field, every value of its field's type) and convert to the API's
// structured schema (the one server-side apply uses). It prints one line per object, and
// each problem on its own line; the exit status is 1 when any object failed.
//
// The tests validate `helm template` output with it (tests/e2e/test_helm_chart.py): kubectl's
// `apply --dry-run=client` cannot, because it asks a server for discovery and OpenAPI.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

var (
	strict    = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	converter = applyconfigurations.NewTypeConverter(scheme.Scheme)
)

func main() {
	inputs := os.Args[1:]
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	failed := false
	for _, input := range inputs {
		ok, err := validateFile(input)
		if err != nil {
			fmt.Fprintf(os.Stderr, "kube-validate: %s: %v\n", input, err)
			os.Exit(2)
		}
		failed = failed || !ok
	}
	if failed {
		os.Exit(1)
	}
}

func validateFile(name string) (bool, error) {
	in := io.Reader(os.Stdin)
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return false, err
		}
		defer file.Close()
		in = file
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
	ok := true
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return ok, nil
		}
		if err != nil {
			return false, err
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		ok = report(doc) && ok
	}
}

func report(doc []byte) bool {
	name, problems := validate(doc)
	if len(problems) == 0 {
		fmt.Printf("ok %s\n", name)
		return true
	}
	fmt.Printf("invalid %s\n", name)
	for _, problem := range problems {
		fmt.Printf("  %s\n", problem)
	}
	return false
}

// validate returns "Kind/name" and what is wrong with the object (nothing when it is valid).
func validate(doc []byte) (string, []string) {
	var object unstructured.Unstructured
	if err := yaml.Unmarshal(doc, &object.Object); err != nil {
		return "?", []string{"not YAML: " + err.Error()}
	}
	name := object.GetKind() + "/" + object.GetName()
	var problems []string
	if _, _, err := strict.Decode(doc, nil, nil); err != nil {
		problems = append(problems, "decode: "+err.Error())
	}
	if _, err := converter.ObjectToTyped(&object); err != nil {
		problems = append(problems, "schema: "+err.Error())
	}
	return name, problems
}

func stripComments(doc []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			out.Write(line)
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}
