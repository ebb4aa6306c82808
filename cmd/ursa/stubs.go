package main

import "io"

func runExplain(cl *cmdline, stdin io.Reader, stdout, stderr io.Writer) int { return 0 }
func runSQL(cl *cmdline, stdin io.Reader, stdout, stderr io.Writer) int     { return 0 }
func explainQuery(w io.Writer, l *loaded, src string) error                 { return nil }
