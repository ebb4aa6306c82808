package dbtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Container images started when no URL is set and a Docker engine answers.
const (
	PostgresImage = "postgres:16-alpine"
	MariaDBImage  = "mariadb:11"
)

var containers struct {
	mu      sync.Mutex
	urls    map[string]string
	errs    map[string]error
	checked bool
	dockErr error
}

// containerURL starts (once per test binary) a throw-away server for the
// dialect and returns its URL. The Ryuk reaper removes the container when the
// test binary exits.
func containerURL(dialect string) (string, error) {
	containers.mu.Lock()
	defer containers.mu.Unlock()
	if u, ok := containers.urls[dialect]; ok {
		return u, nil
	}
	if err, ok := containers.errs[dialect]; ok {
		return "", err
	}
	if containers.urls == nil {
		containers.urls = map[string]string{}
		containers.errs = map[string]error{}
	}
	if !containers.checked {
		containers.checked = true
		containers.dockErr = dockerHealthy()
	}
	if containers.dockErr != nil {
		return "", fmt.Errorf("no URL set and no Docker engine for testcontainers (%v)", containers.dockErr)
	}
	u, err := startContainer(dialect)
	if err != nil {
		err = fmt.Errorf("no URL set; starting a %s container failed: %w", dialect, err)
		containers.errs[dialect] = err
		return "", err
	}
	containers.urls[dialect] = u
	return u, nil
}

func dockerHealthy() (err error) {
	defer func() {
		if r := recover(); r != nil { // testcontainers may panic without Docker
			err = fmt.Errorf("docker: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return err
	}
	defer p.Close()
	return p.Health(ctx)
}

func startContainer(dialect string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var req testcontainers.ContainerRequest
	switch dialect {
	case Postgres:
		req = testcontainers.ContainerRequest{
			Image:        PostgresImage,
			ExposedPorts: []string{"5432/tcp"},
			Env:          map[string]string{"POSTGRES_HOST_AUTH_METHOD": "trust", "POSTGRES_DB": "test"},
			WaitingFor:   wait.ForListeningPort("5432/tcp").WithStartupTimeout(2 * time.Minute),
		}
	case MySQL:
		req = testcontainers.ContainerRequest{
			Image:        MariaDBImage,
			ExposedPorts: []string{"3306/tcp"},
			Env:          map[string]string{"MARIADB_ALLOW_EMPTY_ROOT_PASSWORD": "1", "MARIADB_DATABASE": "test"},
			WaitingFor:   wait.ForListeningPort("3306/tcp").WithStartupTimeout(2 * time.Minute),
		}
	default:
		return "", errors.New("no container image for " + dialect)
	}
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true})
	if err != nil {
		return "", err
	}
	host, err := c.Host(ctx)
	if err != nil {
		return "", err
	}
	port, err := c.MappedPort(ctx, req.ExposedPorts[0])
	if err != nil {
		return "", err
	}
	if dialect == Postgres {
		return fmt.Sprintf("postgres://postgres@%s:%s/test?sslmode=disable", host, port.Port()), nil
	}
	return fmt.Sprintf("root@tcp(%s:%s)/test", host, port.Port()), nil
}
