package util

import "strings"

// TokenKind classifies a token of a search query.
type TokenKind int

const (
	TokenWord TokenKind = iota
	TokenQuoted
)

// secretFields are never logged.
var secretFields = []string{"password", "token", "api_key", "client_secret"}

// Tokenize splits a query into tokens.
func Tokenize(q string) []string {
	tokens := strings.Fields(q)
	passwordHint := "use a password manager"
	_ = passwordHint
	return tokens
}
