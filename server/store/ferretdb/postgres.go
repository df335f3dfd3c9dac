package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// The cluster serves only this process: no TCP, one socket that only its owner may use.
// The rest is sized for a small embedded role; fsync and synchronous commits stay on, so a write
// acknowledged to a client survives a crash.
var serverSettings = []string{
	"listen_addresses=",
	"unix_socket_permissions=0700",
	// FerretDB sends the field name of a filter as a parameter: only a plan made with the values
	// filled in can use the expression indexes that mirrorIndexes creates.
	"plan_cache_mode=force_custom_plan",
	"max_connections=64", // FerretDB's pool (poolSize) and the index mirror, with room to spare
	"shared_buffers=128MB",
	"jit=off",
	"huge_pages=off",
	"logging_collector=off",
	"log_min_messages=warning",
	"checkpoint_timeout=15min",
	// Statistics soon after a table grows: without them the planner guesses, and for tables of a
	// few thousand rows it guesses a sequential scan is cheaper than the GIN indexes.
	"autovacuum_naptime=5s",
	"autovacuum_analyze_scale_factor=0.05",
	"max_wal_size=512MB",
}

const (
	superuser = "ferretdb"
	database  = "ferretdb"
	// FerretDB's connections to PostgreSQL (its default). One operation can hold two at once, so a
	// much smaller pool can deadlock under concurrent requests.
	poolSize = 50
	// Unix socket paths are limited to 107 bytes; ".s.PGSQL.5432" is appended to the directory.
	maxSocketDirLength = 90
)

type clusterOptions struct {
	dir   string
	bin   string
	runAs string
}

type cluster struct {
	url       string
	dir       string
	socketDir string
	server    *exec.Cmd
	exited    chan error
}

// startCluster creates the cluster on first use, starts it and waits until it accepts connections.
func startCluster(ctx context.Context, opts clusterOptions) (*cluster, error) {
	dir, err := filepath.Abs(opts.dir)
	if err != nil {
		return nil, err
	}
	owner, err := clusterOwner(opts.runAs)
	if err != nil {
		return nil, err
	}
	if err := prepareDir(dir, owner); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := initdb(opts.bin, dir, owner); err != nil {
			return nil, err
		}
	}
	socketDir, err := socketDirFor(dir, owner)
	if err != nil {
		return nil, err
	}
	c := &cluster{url: connectionURL(socketDir, database), dir: dir, socketDir: socketDir, exited: make(chan error, 1)}
	args := []string{"-D", dir, "-k", socketDir}
	for _, setting := range serverSettings {
		args = append(args, "-c", setting)
	}
	c.server = command(filepath.Join(opts.bin, "postgres"), owner, args...)
	if err := c.startTiedToThisProcess(); err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx, socketDir); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// startTiedToThisProcess starts the server so that it also stops when this process is killed:
// the kernel sends it SIGINT (fast shutdown) when the thread that started it ends, so that thread
// stays locked and waiting for as long as the server runs.
func (c *cluster) startTiedToThisProcess() error {
	c.server.SysProcAttr.Pdeathsig = syscall.SIGINT
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := c.server.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.exited <- c.server.Wait()
	}()
	return <-started
}

func (c *cluster) waitReady(ctx context.Context, socketDir string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-c.exited:
			c.exited <- err
			return fmt.Errorf("PostgreSQL exited before it was ready (%v)", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		conn, err := pgx.Connect(ctx, connectionURL(socketDir, "postgres"))
		if err != nil {
			if time.Now().After(deadline) {
				return fmt.Errorf("PostgreSQL did not accept connections within 60 s: %w", err)
			}
			continue
		}
		defer conn.Close(ctx)
		return createDatabase(ctx, conn)
	}
}

func createDatabase(ctx context.Context, conn *pgx.Conn) error {
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, database).Scan(&exists); err != nil || exists {
		return err
	}
	_, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{database}.Sanitize())
	return err
}

// wait blocks until the server has exited, and returns how.
func (c *cluster) wait() error {
	err := <-c.exited
	c.exited <- err
	return err
}

// stop shuts the server down fast (open sessions are ended, a checkpoint is written), or at once
// when that takes more than 30 s.
func (c *cluster) stop() {
	_ = c.server.Process.Signal(syscall.SIGINT)
	select {
	case err := <-c.exited:
		c.exited <- err
	case <-time.After(30 * time.Second):
		_ = c.server.Process.Signal(syscall.SIGQUIT)
		<-c.exited
	}
	if c.socketDir != c.dir {
		_ = os.RemoveAll(c.socketDir)
	}
}

func initdb(bin, dir string, owner *syscall.Credential) error {
	cmd := command(filepath.Join(bin, "initdb"), owner,
		"-D", dir, "--username="+superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-instructions")
	cmd.Stdout, cmd.Stderr = nil, nil
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb failed (%v):\n%s", err, output)
	}
	return nil
}

// clusterOwner is the user PostgreSQL runs as: this process's own, or runAs when this process is
// root, which PostgreSQL refuses to run as.
func clusterOwner(runAs string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(runAs)
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs an unprivileged user to run as: %w (Debian's postgresql package creates the user postgres)", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// prepareDir makes the cluster's directory, owned by the cluster's owner. (The launcher has made
// sure that owner can reach it: server/store/postgres.ts, unreachableByPostgresUser.)
func prepareDir(dir string, owner *syscall.Credential) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	if owner == nil {
		return nil
	}
	return os.Chown(dir, int(owner.Uid), int(owner.Gid))
}

// socketDirFor keeps the socket (and its lock file) in the cluster's directory, or in a private
// temporary directory when that path is too long for a Unix socket.
func socketDirFor(dir string, owner *syscall.Credential) (string, error) {
	if len(dir) <= maxSocketDirLength {
		return dir, nil
	}
	tmp, err := os.MkdirTemp("", "douyin-pg-")
	if err != nil || owner == nil {
		return tmp, err
	}
	return tmp, os.Chown(tmp, int(owner.Uid), int(owner.Gid))
}

func command(path string, owner *syscall.Credential, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Dir = "/"
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: owner}
	return cmd
}

func connectionURL(socketDir, db string) string {
	u := url.URL{Scheme: "postgres", User: url.User(superuser), Path: "/" + db, RawQuery: url.Values{"host": {socketDir}}.Encode()}
	return u.String()
}
