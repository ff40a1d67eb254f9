package store

import (
	"fmt"

	"github.com/jackc/pgx/v5"
)

func pgconnConfig(url string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx errors can echo the URL, password included; keep only the kind.
		return nil, fmt.Errorf("parse postgres url: invalid connection string (check host, port, user and options)")
	}
	return cfg, nil
}
