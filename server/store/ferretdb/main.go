// Command ferretdb runs FerretDB as the project's embedded MongoDB-protocol store: on PostgreSQL
// (a cluster it creates, starts and stops itself) or on SQLite. It embeds FerretDB as a library:
// the upstream binary built with `go install` panics at start because the module does not ship
// the version file its build expects.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

type options struct {
	listen      string
	backend     string
	dir         string
	postgresBin string
	runAs       string
	watchStdin  bool
}

func main() {
	var opts options
	flag.StringVar(&opts.listen, "listen", "127.0.0.1:0", "TCP address to listen on (port 0 picks a free one)")
	flag.StringVar(&opts.backend, "backend", "postgresql", "postgresql or sqlite")
	flag.StringVar(&opts.dir, "dir", "./data/postgres", "the PostgreSQL cluster's directory, or the directory of the SQLite databases")
	flag.StringVar(&opts.postgresBin, "postgres-bin", "", "directory holding PostgreSQL's initdb and postgres")
	flag.StringVar(&opts.runAs, "run-as", "postgres", "unprivileged user that runs PostgreSQL when this process runs as root")
	flag.BoolVar(&opts.watchStdin, "watch-stdin", false, "exit when standard input closes (the launching process died)")
	flag.Parse()

	if err := run(opts); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(opts options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if opts.watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	config := &ferretdb.Config{Listener: ferretdb.ListenerConfig{TCP: opts.listen}, Logger: logger}

	switch opts.backend {
	case "sqlite":
		if err := os.MkdirAll(opts.dir, 0o755); err != nil {
			return err
		}
		config.Handler = "sqlite"
		config.SQLiteURL = "file:" + opts.dir + "/"
	case "postgresql":
		cluster, err := startCluster(ctx, clusterOptions{dir: opts.dir, bin: opts.postgresBin, runAs: opts.runAs})
		if err != nil {
			return err
		}
		defer cluster.stop()
		go mirrorIndexes(ctx, cluster.url, logger)
		// Without its PostgreSQL the store only fails queries: stop, so that clients see it gone.
		go func() {
			err := cluster.wait()
			if ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "PostgreSQL exited (%v): stopping\n", err)
				stop()
			}
		}()
		config.Handler = "postgresql"
		config.PostgreSQLURL = cluster.url + "&pool_max_conns=" + strconv.Itoa(poolSize)
	default:
		return fmt.Errorf("unknown backend %q: postgresql or sqlite", opts.backend)
	}

	f, err := ferretdb.New(config)
	if err != nil {
		return err
	}
	// MongoDBURI blocks until the listener is bound; the launcher waits for this line.
	go func() { fmt.Println(f.MongoDBURI()) }()
	if err := f.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
