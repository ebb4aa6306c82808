package main

import "io"

func runSQL(cl *cmdline, stdin io.Reader, stdout, stderr io.Writer) int { return 0 }
