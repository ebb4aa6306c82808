//go:build tools

package ursa

import (
	_ "github.com/Masterminds/squirrel"
	_ "github.com/chzyer/readline"
	_ "github.com/glebarez/sqlite"
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "golang.org/x/tools/txtar"
	_ "gorm.io/driver/mysql"
	_ "gorm.io/driver/postgres"
	_ "gorm.io/gorm"
)
