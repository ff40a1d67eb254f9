package scan

import "regexp"

// saasRules detect tokens of chat, payment, package-registry, e-mail and
// infrastructure services, and warden's own API tokens.
func saasRules() []*Rule {
	return []*Rule{
		{
			ID:          "slack-token",
			Description: "Slack bot, user, app or configuration token",
			Type:        typeToken,
			Keywords:    []string{"xoxb-", "xoxp-", "xoxa-", "xoxe-", "xoxs-", "xoxr-"},
			Pattern:     regexp.MustCompile(pre + `(xox[bpaesr]-(?:[0-9]{10,13}-){1,3}[A-Za-z0-9]{24,64})` + post),
			SecretGroup: 1,
			MinEntropy:  3.5,
			Positives: []string{
				"SLACK_BOT_TOKEN=xoxb-419696634473-8376771388793-5mpIlHB4R5n9yhXU3qjVfmXB",
				`slack_token: "xoxp-151800174213-396650934521-5270918312518-20d381c197c5dbda640c9768ca10e332"`,
			},
			Negatives: []string{
				"xoxb-your-bot-token",
				"xoxb-419696634473-8376771388793-short",
			},
		},
		{
			ID:          "slack-webhook-url",
			Description: "Slack incoming-webhook URL",
			Type:        typeAPIKey,
			Keywords:    []string{"hooks.slack.com/"},
			Pattern:     regexp.MustCompile(`hooks\.slack\.com/(?:services|workflows|triggers)/(T[A-Z0-9]{6,12}/[AB][A-Z0-9]{6,12}/[A-Za-z0-9]{24,48})`),
			SecretGroup: 1,
			MinEntropy:  3.5,
			Positives: []string{
				"webhook: https://hooks.slack.com/services/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",
			},
			Negatives: []string{
				"https://hooks.slack.com/services/T000/B000/XXXX",
				"see https://hooks.slack.com/ for the docs",
			},
		},
		{
			ID:          "stripe-secret-key",
			Description: "Stripe secret or restricted API key",
			Type:        typeAPIKey,
			Keywords:    []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_"},
			Pattern:     regexp.MustCompile(pre + `([sr]k_(?:live|test)_[A-Za-z0-9]{24,99})` + post),
			SecretGroup: 1,
			MinEntropy:  3.5,
			Positives: []string{
				`Stripe.api_key = "sk_live_dHS1aoy3C4ExDbfbPXWwVHgg"`,
				"STRIPE_RESTRICTED=rk_test_AdbB5n7qa4e5xGQvZX2mnqQ0",
			},
			Negatives: []string{
				"pk_live_dHS1aoy3C4ExDbfbPXWwVHgg is a publishable key",
				"sk_live_ keys must never be committed",
			},
		},
		{
			ID:          "npm-token",
			Description: "npm access token",
			Type:        typeToken,
			Keywords:    []string{"npm_"},
			Pattern:     regexp.MustCompile(pre + `(npm_[A-Za-z0-9]{36})` + post),
			SecretGroup: 1,
			MinEntropy:  3.5,
			Positives: []string{
				"//registry.npmjs.org/:_authToken=npm_3jyjXFlImQjFVXrvI96ma3e5i6LoSzFp7lCf",
			},
			Negatives: []string{
				"npm_config_registry=https://registry.npmjs.org/",
				"npm_package_version_1234567890123456789012345678901234",
			},
		},
		{
			ID:          "pypi-token",
			Description: "PyPI upload token",
			Type:        typeToken,
			Keywords:    []string{"pypi-ageichlwas5vcmc"},
			Pattern:     regexp.MustCompile(pre + `(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})`),
			SecretGroup: 1,
			MinEntropy:  3.5,
			Positives: []string{
				"password = pypi-AgEIcHlwaS5vcmcA7xS8djloUjzd7wXeh76qPfuqat9C9Vg9csq2Ya46hukQ3DeguglNyzaAELG",
			},
			Negatives: []string{
				"password = pypi-AgEIcHlwaS5vcmc",
			},
		},
		{
			ID:          "sendgrid-api-key",
			Description: "SendGrid API key",
			Type:        typeAPIKey,
			Keywords:    []string{"sg."},
			Pattern:     regexp.MustCompile(pre + `(SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})` + post),
			SecretGroup: 1,
			MinEntropy:  3.5,
			Positives: []string{
				"SENDGRID_API_KEY=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",
			},
			Negatives: []string{
				"import sg.mail",
				"SG.IRU9jd8AQF_qOqGXTJE9u6.short",
			},
		},
		{
			ID:          "google-oauth-client-secret",
			Description: "Google OAuth client secret",
			Type:        typeClientSecret,
			Keywords:    []string{"gocspx-"},
			Pattern:     regexp.MustCompile(pre + `(GOCSPX-[A-Za-z0-9_\-]{28})` + post),
			SecretGroup: 1,
			MinEntropy:  3.5,
			Positives: []string{
				`"client_secret": "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"`,
			},
			Negatives: []string{
				`"client_secret": "GOCSPX-..."`,
			},
		},
		{
			ID:          "digitalocean-token",
			Description: "DigitalOcean personal access token",
			Type:        typeToken,
			Keywords:    []string{"dop_v1_", "doo_v1_"},
			Pattern:     regexp.MustCompile(pre + `(do[op]_v1_[a-f0-9]{64})` + post),
			SecretGroup: 1,
			MinEntropy:  3,
			Positives: []string{
				"DIGITALOCEAN_TOKEN=dop_v1_4a5e11a305088120ad7a819bb6795c41484d7c10dfc78cdd946c4d3cbae478b1",
			},
			Negatives: []string{
				"dop_v1_4a5e11a305088120ad7a819bb6795c41",
			},
		},
		{
			ID:          "vault-token",
			Description: "HashiCorp Vault service token",
			Type:        typeToken,
			Keywords:    []string{"hvs."},
			Pattern:     regexp.MustCompile(pre + `(hvs\.[A-Za-z0-9_\-]{24,})` + post),
			SecretGroup: 1,
			MinEntropy:  3.5,
			Positives: []string{
				"VAULT_TOKEN=hvs.zjh2hD6LzDJ8zALt1-G8QUuo",
			},
			Negatives: []string{
				"VAULT_TOKEN=hvs.example",
				"the hvs. prefix marks service tokens",
			},
		},
		{
			ID:          "warden-api-token",
			Description: "warden API token",
			Type:        typeToken,
			Keywords:    []string{"wdn_"},
			Pattern:     regexp.MustCompile(pre + `(wdn_[A-Za-z0-9_\-]{43})` + post),
			SecretGroup: 1,
			MinEntropy:  3.5,
			Positives: []string{
				"WARDEN_TOKEN=wdn_YPHwiTjpY8nm-vcTP3pRPcePlbxtEH61ErMWc9LXznY",
			},
			Negatives: []string{
				"WARDEN_TOKEN=wdn_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
				"wdn_not_a_real_token",
			},
		},
	}
}
