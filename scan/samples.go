package scan

// Samples of the key-shaped rules. Their bodies are base64 of the text
// "FAKE key material generated for warden scanner tests; not a real key.":
// armoured like keys, but no key at all.
const (
	fakeKeyBody = "RkFLRSBrZXkgbWF0ZXJpYWwgZ2VuZXJhdGVkIGZvciB3YXJkZW4gc2Nhbm5lciB0\n" +
		"ZXN0czsgbm90IGEgcmVhbCBrZXkuIEZBS0Uga2V5IG1hdGVyaWFsIGdlbmVyYXRl\n" +
		"ZCBmb3Igd2FyZGVuIHNjYW5uZXIgdGVzdHM7IG5vdCBhIHJlYWwga2V5LiA="

	testRSAKeyPEM = "-----BEGIN RSA PRIVATE KEY-----\n" + fakeKeyBody + "\n-----END RSA PRIVATE KEY-----\n"

	testOpenSSHKey = "-----BEGIN OPENSSH PRIVATE KEY-----\n" +
		"b3BlbnNzaC1rZXktdjEARkFLRSBvcGVuc3NoIGtleSBib2R5IGZvciB3YXJkZW4gc2Nh\n" +
		"bm5lciB0ZXN0cyBvbmx5LCBub3QgYSByZWFsIGtleS5GQUtFIG9wZW5zc2gga2V5IGJv\n" +
		"ZHkgZm9yIHdhcmRlbiBzY2FubmVyIHRlc3RzIG9ubHksIG5vdCBhIHJlYWwga2V5Lg==\n" +
		"-----END OPENSSH PRIVATE KEY-----"

	// testEscapedPKCS8 is a key inside a JSON string, as in a GCP
	// service-account key file.
	testEscapedPKCS8 = `"private_key": "-----BEGIN PRIVATE KEY-----\n` +
		`RkFLRSBrZXkgbWF0ZXJpYWwgZ2VuZXJhdGVkIGZvciB3YXJkZW4gc2Nhbm5lciB0\n` +
		`ZXN0czsgbm90IGEgcmVhbCBrZXkuIEZBS0Uga2V5IG1hdGVyaWFsIGdlbmVyYXRl\n` +
		`-----END PRIVATE KEY-----\n",`

	testPuTTYKey = "PuTTY-User-Key-File-3: ssh-ed25519\n" +
		"Encryption: none\n" +
		"Comment: fake-key-for-warden-tests\n" +
		"Public-Lines: 2\n" +
		"AAAAC3NzaC1lZDI1NTE5AAAAIEZBS0UgcHV0dHkga2V5IGZvciB3YXJkZW4gdGVz\n" +
		"dHM=\n" +
		"Private-Lines: 1\n" +
		"AAAAIEZBS0UgcHV0dHkgcHJpdmF0ZSBwYXJ0IGZvciB0ZXN0cyBvbmx5Lg==\n" +
		"Private-MAC: 5b1e6f0c6a2d9c6a1c5f1f3b2d7e8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f\n"

	// testJWT is an HS256 token for a fictional CI bot, signed with a
	// random key that was thrown away.
	testJWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJmYWtlLWNpLWJvdCIsImlzcyI6Imh0dHBzOi8vd2FyZGVuLnRlc3QiLCJpYXQiOjE3NjcyMjU2MDB9.57d00MNSUC_spHE4vElFMWXITtxJkgpW4Y5CG7tLzWo"
)
