package monitor

import "net/netip"

// Network returns the source network of an address as warden baselines
// it: the /24 of a public IPv4 address, the /16 of a private one (so that
// autoscaling across the subnets of a VPC is not a new network), and the
// /64 (public) or /48 (private) of an IPv6 address. Anything that is not an
// IP address (CloudTrail writes service names such as "ec2.amazonaws.com"
// or "AWS Internal") has no network: ok is false.
func Network(ip string) (ipNorm, network string, ok bool) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "", "", false
	}
	a = a.Unmap()
	bits := 24
	switch {
	case a.Is4() && a.IsPrivate():
		bits = 16
	case a.Is6() && a.IsPrivate():
		bits = 48
	case a.Is6():
		bits = 64
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return "", "", false
	}
	return a.String(), p.String(), true
}
