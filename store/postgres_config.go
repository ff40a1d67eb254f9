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
	// Plans cached for prepared statements go stale as tables grow from
	// empty (a generic plan made at 0 rows keeps scanning at 100,000):
	// always plan with the actual parameters unless the operator chose.
	if _, ok := cfg.RuntimeParams["plan_cache_mode"]; !ok {
		cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	return cfg, nil
}
