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
// Each principal of each Allow statement that grants an assume action is
// judged together with the statement's conditions. A condition counts
// only if it really narrows: positive operators (StringEquals[IgnoreCase],
// StringLike, ArnEquals, ArnLike, or their ForAnyValue: forms) without
// …IfExists. Negated operators only remove the principals they name,
// …IfExists passes when the key is missing and ForAllValues: is vacuously
// true over a missing key, so none of them pins anyone. Policy variables
// are variables only under Version 2012-10-17; a value holding one pins
// nothing. Violations carry finding code trust_policy_overbroad with the
// kind leading the reason ("public: …"); FindingKind extracts it.
//
//   - public: "*", {"AWS":"*"}, {"AWS":["*"]}, an ARN with a wildcard
//     account, or Allow with NotPrincipal, with no condition pinning the
//     caller (aws:PrincipalArn, aws:PrincipalAccount, aws:userid with a
//     fixed unique ID). sts:ExternalId does not make "*" safe.
//   - foreign_account: an account, principal or identity provider of an
//     account that is neither this one nor in TrustedAccounts (also when
//     aws:PrincipalArn/aws:PrincipalAccount name such accounts, and for
//     ARNs of another partition, reported as "<partition>:<ID>").
//   - org_wide: pinned only by aws:PrincipalOrgID/aws:PrincipalOrgPaths of
//     an organization other than TrustedOrg (GCAS's organization holds
//     thousands of other vendors' accounts).
//   - account_wide: this account (bare ID, :root, or "*" with
//     aws:PrincipalAccount = this account) with no condition that pins
//     principals. aws:userid "*:name" pins only the caller-chosen session
//     name and does not count; "AROA…:*" (a role's unique ID) does. A
//     specific principal (the GCAS SwitchOnlyRole with aws:userid
//     "*:<user>@lg.id.cloud.go.jp") is fine; the GCAS SSO account must be
//     listed in TrustedAccounts when the role lives there.
//   - federated_unrestricted: an identity provider without its identity
//     claim. GitHub Actions needs sub (owner fixed: "repo:org/…") or one of
//     repository, repository_id, job_workflow_ref (exposed by STS since
//     2026) or repository_owner(_id); aud alone is the known vulnerable
//     pattern. Cognito needs an exact cognito-identity.amazonaws.com:aud.
//     EKS needs sub. Other OIDC providers need sub, or an aud other than
//     the generic sts.amazonaws.com. SAML providers of this or a trusted
//     account are fine without conditions: the account's IdP decides which
//     roles its assertions name, and SAML:aud only checks the endpoint.
//
// Findings that are not violations, with their own codes:
//
//   - service_no_source: a service principal without aws:SourceAccount or
//     aws:SourceArn (confused deputy). Reported, never rewritten.
//   - unsure: something the analysis cannot judge with certainty — an
//     unknown principal type or malformed principal, CanonicalUser, an
//     unknown operator or element, a duplicate member, an Effect other than
//     Allow/Deny, aws:userid pinning a unique ID under Principal "*", or a
//     conditional Deny (or Deny with NotPrincipal) that may already remove
//     the principals judged overbroad. Unsure policies are never rewritten.
//
// An unconditional Deny removes exactly the principals it names (or
// everyone, for "*"), for the assume actions it covers.
//
// # Rewrites (PlanTrust)
//
// The minimal change per principal: public, foreign, untrusted-org and
// unrestricted federated principals are dropped, and a statement left with
// no principal goes. An account-wide account principal stays and gains
// ArnLike aws:PrincipalArn = AllowedPrincipals (default this account's SSO
// roles, arn:aws:iam::<acct>:role/aws-reserved/sso.amazonaws.com/*) so GCAS
// switch-role keeps working (a pattern principal such as …:user/* keeps
// only the allowed principals it covers, and is dropped if none);
// if aws:PrincipalArn is already tested under ArnLike, the condition goes
// under StringLike, since a second value under the same key would OR; it moves into its own statement when the
// statement also names principals that are fine, so the condition binds
// only it. Allowed principals that could assume through a dropped
// principal ("*", say) keep that path: the statement keeps the account
// principal restricted to exactly those. If nothing is left, a statement
// with Sid GcguardQuarantine names a role ARN that cannot exist. Owner
// conditions, actions, Sids and unknown members are kept; conditions are
// only ever added (ANDed), so nobody gains access.
//
// The result is minified, must fit the account's trust-policy size quota,
// must pass ValidateTrust and must analyze clean; otherwise PlanTrust
// returns an error saying why. Planning its own output again changes
// nothing. Never rewritten: unsure analyses, service_no_source findings,
// and policies holding content IAM rejects in trust policies (the plan is
// then report-only with the reason).
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
