// Package policy is gcguard's pure model of IAM policy documents: it
// parses every form AWS hands policies out in, evaluates conditions the
// way IAM does, judges who may assume a role, plans the minimal rewrite of
// an overbroad trust policy and validates what it writes against the
// trust-policy grammar IAM enforces. No SDK, no network.
//
// # Forms
//
// Parse accepts plain JSON, URL-encoded JSON (iam:GetRole/ListRoles,
// decoded once with path unescaping so "+" stays "+") and a JSON string
// holding the JSON (CloudTrail's assumeRolePolicyDocument). Statement,
// Principal values, Action, Resource and condition values may each be a
// string or a list; condition values may be strings, booleans or numbers.
// Unknown members are kept verbatim and statement order is preserved, so a
// rewrite changes only what it means to. Minify writes a stable member
// order (Version, Id, Statement; Sid, Effect, Principal, NotPrincipal,
// Action, NotAction, Resource, NotResource, Condition) without whitespace,
// the form IAM measures against size quotas.
//
// # Verdicts (AnalyzeTrust)
//
// A trust policy is judged by the requests it allows (DESIGN §2a), in four
// steps that each read against one page of IAM documentation:
// requests.go derives representative requests (caller classes — an
// arbitrary foreigner, each named principal, account, organization,
// service and identity provider, this account's root, SSO roles, another
// role and a user, trusted accounts, tenants of each web-identity
// platform — each with every combination of the condition values it could
// present: each constant, a match of each Like pattern, a value matching
// none, the key absent; identity keys come with the class, caller-chosen
// keys vary freely); eval.go evaluates one request as IAM does (Eval, on a
// generic Request{Principal, Action, Resource, Context}, usable for
// resource policies too); providers.go says which federated claims a
// platform fixes and which its tenants choose; verdict.go derives the
// verdict from which classes get in through which principal. Violations
// carry finding code trust_policy_overbroad with the kind leading the
// reason ("public: …"); FindingKind extracts it.
//
//   - public: an arbitrary foreign principal, an arbitrary service acting
//     for anyone or an arbitrary identity provider gets in.
//   - foreign_account: a named account (or its principals or identity
//     providers) that is neither this one nor in TrustedAccounts gets in
//     ("<partition>:<ID>" for another partition).
//   - org_wide: an arbitrary member of a named organization other than
//     TrustedOrg gets in, an arbitrary foreigner does not.
//   - account_wide: an arbitrary role or user of this account gets in (not
//     just named ones), unless an allowed pattern names it or the whole
//     trusted organization gets in.
//   - federated_unrestricted: an arbitrary tenant of a web-identity
//     platform gets in.
//
// Findings that are not violations, with their own codes:
//
//   - service_no_source: a named service acting for a foreign account gets
//     in (confused deputy). Reported, never rewritten.
//   - unsure: only constructs Unmodelled or the request derivation name as
//     not modelled (unknown operator, principal type or Effect, CanonicalUser,
//     duplicate members, an OIDC platform not in the provider table, a
//     unique ID whose account the policy does not fix). Never rewritten.
//
// # Rewrites (PlanTrust) and the access preview
//
// The planner only proposes a document: public, foreign, untrusted-org
// and unrestricted federated principals are dropped; an account-wide
// account principal stays and gains ArnLike aws:PrincipalArn = the allowed
// principals it let in (default this account's SSO roles); what could
// assume through a dropped principal and configuration allows keeps that
// path under the statement's own conditions (this account's allowed and
// named principals through the account restricted to exactly them, ANDed
// with the existing conditions; trusted accounts through a split-off
// statement); orphaned unique IDs are dropped; if nothing is left, a
// statement with Sid GcguardQuarantine names a role ARN that cannot exist.
// The preview (preview.go) evaluates before and after over the requests of
// both and lists who loses, keeps and gains access. The rewrite is written
// only if nobody gains, everyone configuration allows keeps what they had,
// no violation is left, the result validates, fits the size quota and
// re-analyzes clean; otherwise the plan is report-only with the preview's
// reason. PlanJSON is the plan as `gcguard analyze … --plan` prints it.
// Planning its own output again changes nothing.
//
// # Bucket policies (AnalyzeBucket, PlanBucketPolicy)
//
// Each principal of each Allow statement is judged with the statement's
// conditions, as S3 Block Public Access defines "public": "*",
// {"AWS":"*"}, an ARN with a wildcard account, a wildcard service and
// Allow with NotPrincipal are public unless a positive condition (not
// negated, not …IfExists, not ForAllValues:) fixes one of aws:SourceIp
// (IpAddress; no range wider than /8 for IPv4 or /32 for IPv6 — S3 says
// only "a set of CIDRs", so the breadth is gcguard's choice),
// aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner,
// aws:SourceAccount, aws:PrincipalArn, aws:PrincipalAccount,
// s3:DataAccessPointArn/Account, s3:x-amz-server-side-encryption-aws-kms-key-id
// or aws:userid outside "AROLEID:*". A value is fixed when it holds no
// wildcard and (under 2012-10-17) no policy variable. Findings:
//
//   - bucket_public ("public: …"): the principal is removed.
//   - external_account: a principal, aws:PrincipalAccount/PrincipalArn or a
//     service's aws:SourceAccount/SourceArn naming an account that is
//     neither this one nor trusted (another partition is reported as
//     "<partition>:<ID>"). Reported, never removed.
//   - org_wide: "*" limited only by aws:PrincipalOrgID/PrincipalOrgPaths of
//     an organization other than TrustedOrg. S3 does not count it as
//     public, so it is reported, never removed: GCAS's organization holds
//     thousands of other parties, but cutting a grant the owner made
//     deliberately is for a person to decide.
//   - service_no_source: a service principal without aws:SourceAccount /
//     aws:SourceArn (for CloudFront OAC: any distribution may read).
//     CloudFront OAC with its SourceArn and OAI principals are fine.
//   - log_delivery: logging.s3.amazonaws.com, delivery.logs.amazonaws.com,
//     (logdelivery.)elasticloadbalancing.amazonaws.com, the regional ELB
//     log-delivery accounts (not external accounts) and CloudFront's
//     awslogsdelivery canonical user. Such buckets are report-only: ALB/NLB
//     access logs and S3 server access logs accept only SSE-S3.
//   - bucket_policy_missing_tls_deny: no Deny (any Sid) of "*" on s3:* or *
//     for the bucket and its objects whose condition tests only
//     aws:SecureTransport and holds exactly when it is false (Bool,
//     BoolIfExists, string or boolean "false"). A Deny on objects only, or
//     also conditioned on other keys, does not count.
//   - unsure: an unknown operator, principal type or malformed principal,
//     Allow without Principal, an Effect other than Allow/Deny, duplicate or
//     case-variant members, or — when something is public — a conditional
//     Deny on a key that may already make the grant non-public ("deny
//     unless through my VPC endpoint"). Unsure policies are never rewritten.
//
// The merge keeps every owner statement, in order, with its Sid, conditions
// and unknown members (member order and whitespace are normalized by
// Minify). It removes public principals one by one, and drops a statement
// only when no principal is left (always for Allow with NotPrincipal); it
// never touches a Deny. It then upserts gcguard's statements by fixed Sid,
// each with Principal "*":
//
//   - GcguardDenyInsecureTransport: s3:* on the bucket and its objects when
//     aws:SecureTransport is false. Added even when the owner has an
//     equivalent Deny (which already satisfies the finding): gcguard's
//     fixed Sid is what makes a second run write nothing and keeps the
//     guarantee if the owner edits theirs.
//   - GcguardDenyNonKMSEncryption: s3:PutObject when
//     s3:x-amz-server-side-encryption is present (Null false) and neither
//     aws:kms nor aws:kms:dsse (SSE-S3 AES256, aws:fsx). StringNotEquals
//     alone would also deny uploads sending no header, because a negated
//     operator is true over a missing key; those must keep working, since
//     default encryption applies to them.
//   - GcguardDenyKMSWithoutKeyId: s3:PutObject with an encryption header
//     but no s3:x-amz-server-side-encryption-aws-kms-key-id. The S3 API
//     reference (PutObject, x-amz-server-side-encryption-aws-kms-key-id)
//     says that for general purpose buckets aws:kms or aws:kms:dsse without
//     a key id is encrypted with the AWS managed key aws/s3, not the
//     bucket's default key. Clients should send no header, or the key.
//   - GcguardDenyOtherKMSKey (when KMSKeyARN is set): a key id present and
//     neither the key's ARN nor its key ID; an alias is denied too.
//   - GcguardDenySSEC: s3:x-amz-server-side-encryption-customer-algorithm
//     present (SSE-C), besides the bucket's BlockedEncryptionTypes.
//
// gcguard owns these Sids: a statement under one of them is replaced when
// it differs, duplicates are removed, and GcguardDenyOtherKMSKey goes when
// no key is configured. A bucket without a policy gets one (2012-10-17);
// otherwise Version (2008-10-17 included) and Id are kept. The result is
// minified and must fit BucketPolicyMaxBytes (20 KB; S3 does not document
// whether whitespace counts, and the minified form is the smallest that can
// be sent); otherwise the plan is report-only and says by how much. The
// output re-analyzes without public grants and with the TLS Deny, planning
// it again changes nothing, and tests check on sampled requests that it
// never allows what the owner's statements did not, and never denies a TLS
// request that sends no encryption header and was allowed before.

package policy
