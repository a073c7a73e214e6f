package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// subcommands are the second words of commands that take one.
var subcommands = map[string][]string{
	"analyze":    {"trust", "bucket"},
	"config":     {"check"},
	"completion": {"bash", "zsh"},
}

func runCompletion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("completion", stderr)
	fs.Usage = func() {
		io.WriteString(stderr, "usage: gcguard completion bash|zsh\n"+
			"  bash: source <(gcguard completion bash)   (or save it under /etc/bash_completion.d/gcguard)\n"+
			"  zsh:  source <(gcguard completion zsh)    (in ~/.zshrc, after compinit)\n")
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want: completion bash|zsh")
	}
	flags := commandFlags(ctx)
	switch pos[0] {
	case "bash":
		_, err = io.WriteString(stdout, bashCompletion(flags))
	case "zsh":
		_, err = io.WriteString(stdout, zshCompletion(flags))
	default:
		return usagef("unknown shell %q: want bash or zsh", pos[0])
	}
	return err
}

var flagLine = regexp.MustCompile(`(?m)^\s+-([A-Za-z][\w-]*)`)

// commandFlags asks every command for its -h text and collects the flags it
// lists, so the completion never drifts from the flags the commands parse.
// Keys are "cmd" or "cmd sub".
func commandFlags(ctx context.Context) map[string][]string {
	out := map[string][]string{}
	for _, c := range commands() {
		if c.name == "completion" {
			continue
		}
		paths := [][]string{{c.name}}
		for _, sub := range subcommands[c.name] {
			paths = append(paths, []string{c.name, sub})
		}
		for _, p := range paths {
			var help bytes.Buffer
			c.run(ctx, append(append([]string{}, p[1:]...), "-h"), io.Discard, &help)
			var names []string
			for _, m := range flagLine.FindAllStringSubmatch(help.String(), -1) {
				names = append(names, "--"+m[1])
			}
			sort.Strings(names)
			out[strings.Join(p, " ")] = names
		}
	}
	return out
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

func bashCompletion(flags map[string][]string) string {
	var b strings.Builder
	b.WriteString("# bash completion for gcguard: source <(gcguard completion bash)\n")
	b.WriteString("_gcguard() {\n")
	b.WriteString("  local cur=\"${COMP_WORDS[COMP_CWORD]}\" cmd=\"${COMP_WORDS[1]}\" sub=\"${COMP_WORDS[2]}\" words=\"\"\n")
	fmt.Fprintf(&b, "  if [[ $COMP_CWORD -eq 1 ]]; then\n    COMPREPLY=($(compgen -W %q -- \"$cur\"))\n    return\n  fi\n", strings.Join(commandNames(), " "))
	b.WriteString("  if [[ $COMP_CWORD -eq 2 ]]; then\n    case \"$cmd\" in\n")
	for _, cmd := range sortedCmds(subcommands) {
		fmt.Fprintf(&b, "      %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", cmd, strings.Join(subcommands[cmd], " "))
	}
	b.WriteString("    esac\n  fi\n")
	b.WriteString("  if [[ \"$cur\" == -* ]]; then\n    case \"$cmd $sub\" in\n")
	for _, key := range sortedCmds(flags) {
		if strings.Contains(key, " ") {
			fmt.Fprintf(&b, "      %q) words=%q ;;\n", key, strings.Join(flags[key], " "))
		}
	}
	for _, key := range sortedCmds(flags) {
		if !strings.Contains(key, " ") {
			fmt.Fprintf(&b, "      \"%s \"*) words=%q ;;\n", key, strings.Join(flags[key], " "))
		}
	}
	b.WriteString("    esac\n    COMPREPLY=($(compgen -W \"$words -h\" -- \"$cur\"))\n    return\n  fi\n")
	b.WriteString("  COMPREPLY=($(compgen -f -- \"$cur\"))\n}\n")
	b.WriteString("complete -o filenames -F _gcguard gcguard\n")
	return b.String()
}

func zshCompletion(flags map[string][]string) string {
	var b strings.Builder
	b.WriteString("#compdef gcguard\n# zsh completion for gcguard: source <(gcguard completion zsh), after compinit\n")
	b.WriteString("_gcguard() {\n  local cmd=${words[2]} sub=${words[3]}\n  local -a opts\n")
	fmt.Fprintf(&b, "  if (( CURRENT == 2 )); then\n    compadd -- %s\n    return\n  fi\n", strings.Join(commandNames(), " "))
	b.WriteString("  if (( CURRENT == 3 )); then\n    case $cmd in\n")
	for _, cmd := range sortedCmds(subcommands) {
		fmt.Fprintf(&b, "      %s) compadd -- %s; return ;;\n", cmd, strings.Join(subcommands[cmd], " "))
	}
	b.WriteString("    esac\n  fi\n  if [[ $PREFIX == -* ]]; then\n    case \"$cmd $sub\" in\n")
	for _, key := range sortedCmds(flags) {
		if strings.Contains(key, " ") {
			fmt.Fprintf(&b, "      %q) opts=(%s) ;;\n", key, strings.Join(flags[key], " "))
		}
	}
	for _, key := range sortedCmds(flags) {
		if !strings.Contains(key, " ") {
			fmt.Fprintf(&b, "      \"%s \"*) opts=(%s) ;;\n", key, strings.Join(flags[key], " "))
		}
	}
	b.WriteString("    esac\n    compadd -- $opts -h\n    return\n  fi\n  _files\n}\n")
	b.WriteString("if (( $+functions[compdef] )); then\n  compdef _gcguard gcguard\nelse\n  print -u2 'gcguard completion: run compinit first (autoload -Uz compinit && compinit)'\nfi\n")
	return b.String()
}

func sortedCmds[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
