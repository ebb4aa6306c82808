package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/chzyer/readline"
)

// lineReader reads input lines for the REPL and the debugger. The prompt is
// shown only on a terminal.
type lineReader interface {
	ReadLine(prompt string) (string, error) // io.EOF at the end
	Interactive() bool
	Close() error
}

// pipedReader reads lines from a non-terminal reader, without prompts.
type pipedReader struct{ s *bufio.Scanner }

func newPipedReader(r io.Reader) *pipedReader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	return &pipedReader{s: s}
}

func (p *pipedReader) ReadLine(string) (string, error) {
	if p.s.Scan() {
		return p.s.Text(), nil
	}
	if err := p.s.Err(); err != nil {
		return "", err
	}
	return "", io.EOF
}

func (p *pipedReader) Interactive() bool { return false }
func (p *pipedReader) Close() error      { return nil }

// termReader is line editing with history (github.com/chzyer/readline).
type termReader struct{ rl *readline.Instance }

func (t *termReader) ReadLine(prompt string) (string, error) {
	t.rl.SetPrompt(prompt)
	line, err := t.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return "", errInterrupt
	}
	return line, err
}

func (t *termReader) Interactive() bool { return true }
func (t *termReader) Close() error      { return t.rl.Close() }

var errInterrupt = errors.New("interrupted")

// newLineReader returns a terminal reader when stdin and stdout are
// terminals, else a piped reader.
func newLineReader(stdin io.Reader, stdout, stderr io.Writer) lineReader {
	in, ok1 := stdin.(*os.File)
	out, ok2 := stdout.(*os.File)
	if ok1 && ok2 && readline.IsTerminal(int(in.Fd())) && readline.IsTerminal(int(out.Fd())) {
		hist := ""
		if home, err := os.UserHomeDir(); err == nil {
			hist = filepath.Join(home, ".ursa_history")
		}
		rl, err := readline.NewEx(&readline.Config{
			Prompt:          "query> ",
			HistoryFile:     hist,
			Stdin:           in,
			Stdout:          stdout,
			Stderr:          stderr,
			InterruptPrompt: "^C",
			EOFPrompt:       "",
		})
		if err == nil {
			return &termReader{rl: rl}
		}
	}
	return newPipedReader(stdin)
}
