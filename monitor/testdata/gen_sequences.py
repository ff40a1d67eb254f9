#!/usr/bin/env python3
"""Writes the monitor's detector test sequences (realistic CloudTrail
records, Kubernetes audit.k8s.io/v1 Events and GitHub organisation
audit-log records) into sequences/. Deterministic: run it again to
regenerate identical files."""
import json, os, uuid
from datetime import datetime, timedelta, timezone

ACCT = "111122223333"
OUT = os.path.join(os.path.dirname(__file__), "sequences")
T0 = datetime(2026, 3, 2, 0, 0, 5, tzinfo=timezone.utc)
SDK = "aws-sdk-go-v2/1.24.0 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.48.0"
SDK_NEW = "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.0"
BOTO = "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.2 cfg/retry-mode#legacy Botocore/1.34.69"
CLI = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.debian.12 prompt/off command/s3.ls"
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
TF = "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.40.0"

counter = [0]
def eid(tag):
    counter[0] += 1
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"warden-monitor/{tag}/{counter[0]}"))

def ts(t): return t.strftime("%Y-%m-%dT%H:%M:%SZ")

def role_identity(role, session, key="ASIAQX3EXAMPLEROLE01"):
    return {"type": "AssumedRole", "principalId": f"AROAQX3EXAMPLE{role.upper()[:6]}:{session}",
            "arn": f"arn:aws:sts::{ACCT}:assumed-role/{role}/{session}", "accountId": ACCT, "accessKeyId": key,
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": f"AROAQX3EXAMPLE{role.upper()[:6]}",
                "arn": f"arn:aws:iam::{ACCT}:role/{role}", "accountId": ACCT, "userName": role},
                "attributes": {"creationDate": "2026-03-01T23:10:00Z", "mfaAuthenticated": "false"},
                "ec2RoleDelivery": "2.0"}}

def user_identity(user, key="AKIAQX3EXAMPLEUSER01"):
    return {"type": "IAMUser", "principalId": "AIDAQX3EXAMPLE" + user.upper()[:6], "arn": f"arn:aws:iam::{ACCT}:user/{user}",
            "accountId": ACCT, "accessKeyId": key, "userName": user}

def rec(tag, t, ident, source, name, ip, ua, params=None, resources=None, error=None, etype="AwsApiCall", region="eu-west-1", extra=None):
    r = {"eventVersion": "1.09", "userIdentity": ident, "eventTime": ts(t), "eventSource": f"{source}.amazonaws.com",
         "eventName": name, "awsRegion": region, "sourceIPAddress": ip, "userAgent": ua,
         "requestParameters": params, "responseElements": None, "requestID": eid(tag + "-req"),
         "eventID": eid(tag), "readOnly": name.startswith(("Get", "List", "Describe")), "eventType": etype,
         "managementEvent": source not in ("s3",), "recipientAccountId": ACCT, "eventCategory": "Management"}
    if resources: r["resources"] = resources
    if error:
        r["errorCode"], r["errorMessage"] = error, f"User is not authorized to perform: {source}:{name}"
    if extra: r.update(extra)
    return r

def orders_learning(tag, days=2, per=3, ua=SDK, session="i-0a1b2c3d4e5f60718", ip="10.20.1.15"):
    out = []
    ident = role_identity("orders-api", session)
    for h in range(0, days * 24, 2):
        for k in range(per):
            t = T0 + timedelta(hours=h, minutes=7 * k)
            if k == 0:
                out.append(rec(tag, t, ident, "ssm", "GetParameter", ip, ua, {"name": "/orders/db-url", "withDecryption": True}))
            elif k == 1:
                out.append(rec(tag, t, ident, "s3", "GetObject", ip, ua, {"bucketName": "nw-orders", "key": f"in/{h:03d}.json"}))
            else:
                out.append(rec(tag, t, ident, "sqs", "SendMessage", ip, ua, None,
                               [{"ARN": f"arn:aws:sqs:eu-west-1:{ACCT}:orders-events", "type": "AWS::SQS::Queue"}]))
    return out

END = T0 + timedelta(days=2, hours=1)

def write_ct(name, records):
    with open(os.path.join(OUT, name), "w") as f:
        for r in records:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")

def main():
    os.makedirs(OUT, exist_ok=True)
    # 1. Instance-role credential lifted off its instance.
    r = orders_learning("offwl")
    stolen = role_identity("orders-api", "i-0a1b2c3d4e5f60718")
    r.append(rec("offwl", END, stolen, "sts", "GetCallerIdentity", "198.51.100.23", BOTO))
    r.append(rec("offwl", END + timedelta(minutes=1), stolen, "s3", "ListBuckets", "198.51.100.23", BOTO))
    write_ct("cloudtrail-off-workload.jsonl", r)

    # 2. Benign churn: rolling deployment onto new instances in other
    # subnets of the VPC, SDK upgrade, autoscaling doubling the rate.
    r = orders_learning("churn")
    for n, (sess, ip) in enumerate([("i-0f9e8d7c6b5a40312", "10.20.2.41"), ("i-0c4d5e6f708192a3b", "10.20.3.77")]):
        ident = role_identity("orders-api", sess)
        for k in range(8):
            t = END + timedelta(minutes=5 * k + n)
            out = [rec("churn", t, ident, "ssm", "GetParameter", ip, SDK_NEW, {"name": "/orders/db-url", "withDecryption": True}),
                   rec("churn", t + timedelta(seconds=20), ident, "s3", "GetObject", ip, SDK_NEW, {"bucketName": "nw-orders", "key": f"in/new-{n}-{k}.json"})]
            r.extend(out)
    r.sort(key=lambda x: x["eventTime"])
    write_ct("cloudtrail-benign-churn.jsonl", r)

    # 3. Bulk secret reads by a CI user that reads two secrets normally.
    ci = user_identity("ci-deployer", "AKIAQX3EXAMPLECIDEP1")
    r = []
    for h in range(0, 48, 2):
        for k, sec in enumerate(["prod/deploy/registry-token", "prod/deploy/slack-webhook"]):
            r.append(rec("bulk", T0 + timedelta(hours=h, minutes=k), ci, "secretsmanager", "GetSecretValue", "192.0.2.10", CLI,
                         {"secretId": f"arn:aws:secretsmanager:eu-west-1:{ACCT}:secret:{sec}"}))
    for k in range(14):
        r.append(rec("bulk", END + timedelta(seconds=15 * k), ci, "secretsmanager", "GetSecretValue", "192.0.2.10", CLI,
                     {"secretId": f"arn:aws:secretsmanager:eu-west-1:{ACCT}:secret:prod/app-{k:02d}/db-password"}))
    write_ct("cloudtrail-bulk-secrets.jsonl", r)

    # 4. Access-denied probing with a stolen key, and (negative) a
    # misconfigured job retrying one denied call.
    probe = user_identity("report-exporter", "AKIAQX3EXAMPLEREPRT1")
    r = []
    calls = [("iam", "ListUsers"), ("iam", "ListRoles"), ("s3", "ListBuckets"), ("ec2", "DescribeInstances"),
             ("secretsmanager", "ListSecrets"), ("lambda", "ListFunctions20150331"), ("iam", "GetAccountAuthorizationDetails")]
    for k in range(12):
        svc, name = calls[k % len(calls)]
        r.append(rec("probe", END + timedelta(seconds=10 * k), probe, svc, name, "192.0.2.44", CLI, None, None, "AccessDenied"))
    write_ct("cloudtrail-denied-probing.jsonl", r)
    retry = user_identity("invoice-sync", "AKIAQX3EXAMPLEINVSY1")
    r = [rec("retry", END + timedelta(seconds=20 * k), retry, "s3", "PutObject", "192.0.2.45", SDK,
             {"bucketName": "nw-invoices-archive", "key": "2026/03/batch.csv"}, None, "AccessDenied") for k in range(15)]
    write_ct("cloudtrail-denied-retry.jsonl", r)

    # 5. Dormant identity active again after 45 days; (negative) 10 days.
    old = user_identity("legacy-ftp-bridge", "AKIAQX3EXAMPLELEGFT1")
    r = [rec("dormant", T0 - timedelta(days=60, hours=-k), old, "s3", "PutObject", "192.0.2.60", SDK,
             {"bucketName": "nw-ftp-drop", "key": f"f{k}.csv"}) for k in range(5)]
    r.append(rec("dormant", T0 - timedelta(days=15), old, "s3", "ListBuckets", "192.0.2.60", SDK))
    write_ct("cloudtrail-dormant.jsonl", r)
    weekly = user_identity("weekly-report", "AKIAQX3EXAMPLEWEEKL1")
    r = [rec("weekly", T0 + timedelta(days=10 * k), weekly, "s3", "PutObject", "192.0.2.61", SDK,
             {"bucketName": "nw-reports", "key": f"w{k}.pdf"}) for k in range(4)]
    write_ct("cloudtrail-weekly.jsonl", r)

    # 6. Human use: a person signs in to the console as a service user.
    svc = user_identity("svc-reporting", "")
    r = [rec("console", END, svc, "signin", "ConsoleLogin", "203.0.113.88", BROWSER, None, None, None, "AwsConsoleSignIn", "us-east-1",
             {"responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "No", "LoginTo": "https://console.aws.amazon.com/"}}),
         rec("console", END + timedelta(minutes=2), user_identity("svc-reporting", "ASIAQX3EXAMPLECONS1"), "iam", "ListAccessKeys", "203.0.113.88", BROWSER,
             {"userName": "svc-reporting"}, None, None, "AwsApiCall", "us-east-1", {"sessionCredentialFromConsole": "true"})]
    write_ct("cloudtrail-console.jsonl", r)

    # 7. Persistence: a stolen deploy key creates an access key and opens
    # a role's trust; (negative) Terraform that attaches policies routinely.
    dep = user_identity("ci-deployer", "AKIAQX3EXAMPLECIDEP1")
    r = [rec("persist", END, dep, "iam", "CreateAccessKey", "198.51.100.90", CLI, {"userName": "billing-batch"}),
         rec("persist", END + timedelta(minutes=1), dep, "iam", "UpdateAssumeRolePolicy", "198.51.100.90", CLI,
             {"roleName": "orders-api", "policyDocument": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::999988887777:root\"},\"Action\":\"sts:AssumeRole\"}]}"},
             [{"ARN": f"arn:aws:iam::{ACCT}:role/orders-api", "type": "AWS::IAM::Role"}])]
    write_ct("cloudtrail-persistence.jsonl", r)
    tf = role_identity("terraform-apply", "gha-run-8812345")
    r = []
    for h in range(0, 48, 4):
        r.append(rec("tf", T0 + timedelta(hours=h), tf, "iam", "AttachRolePolicy", "192.0.2.70", TF,
                     {"roleName": "orders-api", "policyArn": f"arn:aws:iam::{ACCT}:policy/orders-read"}, [{"ARN": f"arn:aws:iam::{ACCT}:role/orders-api"}]))
        r.append(rec("tf", T0 + timedelta(hours=h, minutes=1), tf, "iam", "GetRole", "192.0.2.70", TF, {"roleName": "orders-api"}))
    r.append(rec("tf", END, tf, "iam", "AttachRolePolicy", "192.0.2.70", TF,
                 {"roleName": "orders-api", "policyArn": f"arn:aws:iam::{ACCT}:policy/orders-read"}, [{"ARN": f"arn:aws:iam::{ACCT}:role/orders-api"}]))
    write_ct("cloudtrail-terraform-routine.jsonl", r)

    # 8. Audit-log tampering; (negative) reading trail status.
    r = [rec("tamper", END, dep, "cloudtrail", "StopLogging", "198.51.100.90", CLI, {"name": f"arn:aws:cloudtrail:eu-west-1:{ACCT}:trail/org-trail"},
             [{"ARN": f"arn:aws:cloudtrail:eu-west-1:{ACCT}:trail/org-trail"}]),
         rec("tamper", END + timedelta(minutes=1), dep, "cloudtrail", "DeleteTrail", "198.51.100.90", CLI, {"name": "org-trail"},
             [{"ARN": f"arn:aws:cloudtrail:eu-west-1:{ACCT}:trail/org-trail"}])]
    write_ct("cloudtrail-tampering.jsonl", r)
    r = [rec("trailread", END + timedelta(minutes=k), dep, "cloudtrail", name, "192.0.2.10", CLI, {"name": "org-trail"})
         for k, name in enumerate(["DescribeTrails", "GetTrailStatus", "GetEventSelectors"])]
    write_ct("cloudtrail-trail-reads.jsonl", r)

    # 9. Rate spike: ~6 calls an hour for two days, then 400 in one hour;
    # and a key lifted to a new network with a new agent.
    batch = user_identity("metrics-pusher", "AKIAQX3EXAMPLEMETRC1")
    r = []
    for h in range(48):
        for k in range(6):
            r.append(rec("rate", T0 + timedelta(hours=h, minutes=9 * k), batch, "cloudwatch", "PutMetricData", "192.0.2.80", SDK, {"namespace": "Orders"}))
    for k in range(400):
        r.append(rec("rate", END + timedelta(seconds=8 * k), batch, "s3", "GetObject", "192.0.2.80", SDK,
                     {"bucketName": "nw-orders", "key": f"archive/{k:04d}.json"}))
    write_ct("cloudtrail-rate-spike.jsonl", r)
    r = []
    for h in range(48):
        r.append(rec("newnet", T0 + timedelta(hours=h), batch, "cloudwatch", "PutMetricData", "192.0.2.80", SDK, {"namespace": "Orders"}))
    r.append(rec("newnet", END, batch, "cloudwatch", "PutMetricData", "203.0.113.9", BOTO, {"namespace": "Orders"}))
    write_ct("cloudtrail-new-network.jsonl", r)

    # Kubernetes audit activity as the API server's log backend writes it
    # (audit.k8s.io/v1 Events, Metadata level, final stage only).
    def kev(tag, t, sa, verb, resource, ip, ua, pod="", outcome="allow", code=""):
        parts = resource.strip("/").split("/")
        ns = ""
        if parts[0] == "namespaces":
            ns, parts = parts[1], parts[2:]
        res, name = parts[0], (parts[1] if len(parts) > 1 else "")
        group = "rbac.authorization.k8s.io" if res in ("roles", "rolebindings", "clusterroles", "clusterrolebindings") else ""
        obj = {"resource": res}
        if ns:
            obj["namespace"] = ns
        if name:
            obj["name"] = name
        if group:
            obj["apiGroup"] = group
        obj["apiVersion"] = "v1"
        sa_ns = sa.split(":")[2]
        user = {"username": sa, "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, sa)),
                "groups": ["system:serviceaccounts", f"system:serviceaccounts:{sa_ns}", "system:authenticated"]}
        if pod:
            user["extra"] = {"authentication.kubernetes.io/pod-name": [pod],
                             "authentication.kubernetes.io/credential-id": [f"JTI={uuid.uuid5(uuid.NAMESPACE_URL, pod)}"]}
        allowed = outcome == "allow"
        micro = t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": eid(tag), "stage": "ResponseComplete",
                "requestURI": (f"/apis/{group}/v1" if group else "/api/v1") + resource, "verb": verb, "user": user,
                "sourceIPs": [ip], "userAgent": ua, "objectRef": obj,
                "responseStatus": {"metadata": {}, "code": 200 if allowed else 403} | ({} if allowed else {"reason": code or "Forbidden"}),
                "requestReceivedTimestamp": micro, "stageTimestamp": micro,
                "annotations": {"authorization.k8s.io/decision": "allow" if allowed else "forbid",
                                "authorization.k8s.io/reason": f"RBAC: allowed by RoleBinding of {sa}" if allowed else ""}}
    wk = "system:serviceaccount:billing:invoice-worker"
    kua = "invoice-worker/1.8.2 (linux/amd64) kubernetes/client-go"
    es = "system:serviceaccount:external-secrets:external-secrets"
    esua = "external-secrets/v0.9.13 (linux/amd64) kubernetes/f9d5d3d"
    argo = "system:serviceaccount:argocd:argocd-application-controller"
    argoua = "argocd-application-controller/v2.10.4 (linux/amd64) kubernetes/f2b3c56"
    ev = []
    for h in range(0, 48, 2):
        t = T0 + timedelta(hours=h)
        ev.append(kev("k8s", t, wk, "get", "/namespaces/billing/secrets/invoice-db", "10.244.1.17", kua, "invoice-worker-7d9c5-x2k4p"))
        ev.append(kev("k8s", t + timedelta(minutes=1), wk, "get", "/namespaces/billing/configmaps/invoice-config", "10.244.1.17", kua, "invoice-worker-7d9c5-x2k4p"))
        for n, ns in enumerate(["billing", "orders", "payments", "monitoring", "kube-system"]):
            ev.append(kev("k8s", t + timedelta(minutes=2, seconds=n), es, "get", f"/namespaces/{ns}/secrets/app-credentials", "10.244.0.9", esua, "external-secrets-6b7f9-abcde"))
        ev.append(kev("k8s", t + timedelta(minutes=3), argo, "create", "/namespaces/orders/rolebindings/orders-deployer", "10.244.0.12", argoua, "argocd-application-controller-0"))
    churn = list(ev)
    # Benign churn after learning: rollout onto new pods and nodes, the
    # controller keeps syncing, argo re-applies bindings.
    for k in range(6):
        t = END + timedelta(minutes=k)
        churn.append(kev("k8s-churn", t, wk, "get", "/namespaces/billing/secrets/invoice-db", f"10.244.{2 + k % 2}.{30 + k}", "invoice-worker/1.9.0 (linux/amd64) kubernetes/client-go", f"invoice-worker-5f6a1-{k:05d}"))
        for n, ns in enumerate(["billing", "orders", "payments", "monitoring", "kube-system"]):
            churn.append(kev("k8s-churn", t + timedelta(seconds=10 + n), es, "get", f"/namespaces/{ns}/secrets/app-credentials", "10.244.0.9", esua, "external-secrets-6b7f9-abcde"))
        churn.append(kev("k8s-churn", t + timedelta(seconds=30), argo, "create", "/namespaces/orders/rolebindings/orders-deployer", "10.244.0.12", argoua, "argocd-application-controller-0"))
    churn.sort(key=lambda e: e["requestReceivedTimestamp"])
    write_ct("k8s-controller-churn.jsonl", churn)
    attack = list(ev)
    pod = "invoice-worker-7d9c5-x2k4p"
    for n, ns in enumerate(["kube-system", "payments", "monitoring", "orders"]):
        attack.append(kev("k8s-attack", END + timedelta(seconds=n), wk, "list", f"/namespaces/{ns}/secrets", "10.244.1.17", kua, pod))
    attack.append(kev("k8s-attack", END + timedelta(minutes=5), wk, "create", "/clusterrolebindings/cluster-admin-shadow", "10.244.1.17", kua, pod))
    attack.append(kev("k8s-attack", END + timedelta(minutes=9), wk, "get", "/namespaces/billing/secrets/invoice-db", "203.0.113.50", "curl/8.5.0", pod))
    attack.sort(key=lambda e: e["requestReceivedTimestamp"])
    write_ct("k8s-token-theft.jsonl", attack)

    # GitHub organisation audit log (JSON Lines of an audit-log stream) of
    # a GitHub App's installation token.
    def gev(tag, t, actor, action, repo, ip, ua, outcome="allow"):
        ms = int(t.timestamp() * 1000)
        r = {"@timestamp": ms, "created_at": ms, "_document_id": eid(tag), "action": action, "org": "northwind", "org_id": 88123401,
             "actor": actor, "actor_id": 149002377, "actor_is_bot": True, "integration": actor.removesuffix("[bot]"),
             "programmatic_access_type": "GitHub App server-to-server token"}
        if "/" in repo:
            r["repo"] = r["repository"] = repo
        r |= {"actor_ip": ip, "user_agent": ua, "actor_location": {"country_code": "NL"}}
        return r
    bot = "nw-release-bot[bot]"
    gua = "octokit-rest.js/20.0.2 octokit-core.js/5.0.2 Node.js/20"
    g = []
    for h in range(0, 48, 2):
        t = T0 + timedelta(hours=h)
        g.append(gev("gh", t, bot, "git.clone", "northwind/orders", "192.0.2.120", gua))
        g.append(gev("gh", t + timedelta(minutes=1), bot, "repo.create_release" if h % 8 == 0 else "git.push", "northwind/orders", "192.0.2.120", gua))
    write_ct("github-bot-routine.jsonl", g)
    ga = list(g)
    ga.append(gev("gh-attack", END, bot, "public_key.create", "northwind/orders", "192.0.2.120", gua))
    ga.append(gev("gh-attack", END + timedelta(minutes=1), bot, "audit_log_streaming.destroy", "northwind", "192.0.2.120", gua))
    ga.append(gev("gh-attack", END + timedelta(minutes=3), bot, "repo.access", "northwind/orders", "192.0.2.120", BROWSER))
    write_ct("github-bot-hijack.jsonl", ga)

main()
