package scan

import "regexp"

// cloudRules detect AWS, GCP and Azure credentials.
func cloudRules() []*Rule {
	return []*Rule{
		{
			ID:          "aws-access-key-id",
			Description: "AWS access key id (long-term AKIA or temporary ASIA)",
			Type:        typeAccessKey,
			Keywords:    []string{"akia", "asia", "abia", "acca"},
			Pattern:     regexp.MustCompile(pre + `((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})` + post),
			SecretGroup: 1,
			MinEntropy:  3,
			PublicID:    self,
			Positives: []string{
				"aws_access_key_id = AKIAFAKEBVEPDTBMDE6P",
				`{"AccessKeyId": "ASIAFAKEUDD3XGMGJHKN"}`,
				"export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
			},
			Negatives: []string{
				"AKIAFAKEBVEPDTBMDE6PX is one character too long",
				"akiafakebvepdtbmde6p is lower case",
				"the AKIA prefix marks long-term keys",
				"AKIAAAAAAAAAAAAAAAAA",
			},
		},
		{
			ID:          "aws-secret-access-key",
			Description: "AWS secret access key assigned to an AWS-named variable",
			Type:        typeAccessKey,
			Keywords:    []string{"secret_access_key", "secretaccesskey", "secret-access-key", "aws_secret", "awssecret"},
			Named:       true,
			Pattern:     assign(`(?:secret[_-]?access[_-]?key|aws[_-]?secret(?:[_-]?key)?)`, `([A-Za-z0-9/+]{40})`),
			SecretGroup: 1,
			MinEntropy:  4,
			Check:       mixedOK,
			Positives: []string{
				"aws_secret_access_key = cDG8+IhDjX1lwX9F9uIQue/WET1PjGNbT5G7gk2P",
				`"SecretAccessKey": "cDG8+IhDjX1lwX9F9uIQue/WET1PjGNbT5G7gk2P",`,
				"AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'",
			},
			Negatives: []string{
				"aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}",
				"aws_secret_access_key = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
				"aws_secret_access_key = cDG8+IhDjX1lwX9F9uIQue/WET1PjGNbT5G7gk2Pextra",
			},
		},
		{
			ID:          "gcp-service-account-key",
			Description: "GCP service-account key file (private_key_id)",
			Type:        typePrivateKey,
			Keywords:    []string{"private_key_id"},
			Pattern:     regexp.MustCompile(`"private_key_id"\s*:\s*"([a-f0-9]{40})"`),
			SecretGroup: 1,
			MinEntropy:  3,
			PublicID:    self,
			Positives: []string{
				`"private_key_id": "e3b053fd8ec6efe7fa848d8806a1ccfb7b97c522",`,
				`{"type":"service_account","private_key_id":"e3b053fd8ec6efe7fa848d8806a1ccfb7b97c522"}`,
			},
			Negatives: []string{
				`"private_key_id": "",`,
				`"private_key_id": "YOUR_KEY_ID"`,
				`private_key_id = e3b053fd8ec6efe7fa848d8806a1ccfb7b97c522`,
			},
		},
		{
			ID:          "gcp-api-key",
			Description: "Google Cloud API key",
			Type:        typeAPIKey,
			Keywords:    []string{"aiza"},
			Pattern:     regexp.MustCompile(pre + `(AIza[0-9A-Za-z_\-]{35})` + post),
			SecretGroup: 1,
			MinEntropy:  3.5,
			Positives: []string{
				`const mapsKey = "AIza0y3VMoUiY1MrO02XljyZL6ovokD1idFCykX";`,
				"GOOGLE_API_KEY=AIza0y3VMoUiY1MrO02XljyZL6ovokD1idFCykX",
			},
			Negatives: []string{
				"AIza0y3VMoUiY1MrO02XljyZL6ovokD1",
				"AIzaSy_REPLACE_ME",
			},
		},
		{
			ID:          "azure-storage-account-key",
			Description: "Azure storage account key in a connection string",
			Type:        typeAccessKey,
			Keywords:    []string{"accountkey="},
			Pattern:     regexp.MustCompile(`(?i)AccountKey=([A-Za-z0-9+/]{86}==)`),
			SecretGroup: 1,
			MinEntropy:  4,
			Positives: []string{
				"DefaultEndpointsProtocol=https;AccountName=nwfreight;AccountKey=UggRnW78I2B5cBbwMhJCGj1TQ0HLzev15p1iKU225PeMd7trvQCeWDK9oSFNXEVJTAgX6rE6BxwbPCMs8oiTlm==;EndpointSuffix=core.windows.net",
			},
			Negatives: []string{
				"AccountName=nwfreight;AccountKey=<your-key>;EndpointSuffix=core.windows.net",
				"AccountKey=" + "QUFB" + "QUFB",
			},
		},
		{
			ID:          "azure-ad-client-secret",
			Description: "Microsoft Entra ID (Azure AD) application client secret",
			Type:        typeClientSecret,
			Keywords:    []string{"q~"},
			Inside:      true,
			Pattern:     regexp.MustCompile(`(?:^|[\\'"` + "`" + `\s>=:(,])([A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34})(?:$|[\\'"` + "`" + `\s<),;])`),
			SecretGroup: 1,
			MinEntropy:  3.5,
			Positives: []string{
				`AZURE_CLIENT_SECRET="8NL8Q~cilZXQObtoiaZaz40U~qGrdibRq.chPx_r"`,
				"clientSecret: 8NL8Q~cilZXQObtoiaZaz40U~qGrdibRq.chPx_r",
			},
			Negatives: []string{
				"path Q~ in a regular expression",
				`AZURE_CLIENT_SECRET="8NL8Q~short"`,
			},
		},
	}
}

// mixedOK accepts secrets with both letters and digits that are not
// placeholders.
func mixedOK(v []byte) bool { return mixed(v) && !placeholder(v) }
