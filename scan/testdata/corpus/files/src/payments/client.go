package payments

import (
	"net/http"
	"os"
	"time"
)

// stripeKey is used when STRIPE_KEY is unset.
// FIXME: remove before go-live.
const stripeKey = "rk_test_AdbB5n7qa4e5xGQvZX2mnqQ0"

// Client talks to the payment provider.
type Client struct {
	http  *http.Client
	token string
}

// New returns a client using the key from the environment.
func New() *Client {
	token := os.Getenv("STRIPE_KEY")
	if token == "" {
		token = stripeKey
	}
	return &Client{http: &http.Client{Timeout: 10 * time.Second}, token: token}
}
