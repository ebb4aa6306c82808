// Package golden compares test output with a txtar golden file, or rewrites
// the file when the test binary runs with -update. It is shared by
// gormfilter's internal and external test packages.
package golden

import (
	"flag"
	"os"
	"testing"

	"github.com/glebarez/sqlite"
	"golang.org/x/tools/txtar"
	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Update is the -update flag: rewrite golden files instead of comparing.
var Update = flag.Bool("update", false, "rewrite testdata golden files")

// Check compares got, in order, with the files of the txtar archive at path;
// with -update it writes got there (comment becomes the archive's header).
func Check(t testing.TB, path, comment string, got []txtar.File) {
	t.Helper()
	if *Update {
		ar := &txtar.Archive{Comment: []byte(comment), Files: got}
		if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	want := map[string]string{}
	for _, f := range txtar.Parse(data).Files {
		want[f.Name] = string(f.Data)
	}
	for _, f := range got {
		if w, ok := want[f.Name]; !ok {
			t.Errorf("%s: not in %s (run with -update)", f.Name, path)
		} else if w != string(f.Data) {
			t.Errorf("%s:\n got: %s\nwant: %s", f.Name, f.Data, w)
		}
	}
	if len(want) != len(got) {
		t.Errorf("%s has %d entries, the test produces %d (run with -update)", path, len(want), len(got))
	}
}

// Dialector returns a GORM dialector of the dialect ("postgres", "mysql" or
// "sqlite") for DryRun tests: Postgres and MySQL point at a closed port and
// are never contacted (open with DryRun, DisableAutomaticPing and
// SkipDefaultTransaction); SQLite is in memory.
func Dialector(dialect string) gorm.Dialector {
	switch dialect {
	case "postgres":
		return postgres.New(postgres.Config{DSN: "host=127.0.0.1 port=1 user=none dbname=none sslmode=disable"})
	case "mysql":
		return mysql.New(mysql.Config{DSN: "none@tcp(127.0.0.1:1)/none", SkipInitializeWithVersion: true})
	}
	return sqlite.Open("file::memory:")
}

// DryRunConfig is the GORM configuration for Dialector's databases.
func DryRunConfig() *gorm.Config {
	return &gorm.Config{DryRun: true, DisableAutomaticPing: true, SkipDefaultTransaction: true, Logger: logger.Discard}
}
