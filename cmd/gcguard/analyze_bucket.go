package main

import "io"

func analyzeBucket(args []string, stdout, stderr io.Writer) error {
	return usagef("bucket policy analysis is not part of this build yet")
}
