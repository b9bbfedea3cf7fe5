{{/* The dashboard's sign-in, hosting (Ingress, HTTPRoute) and the history store's settings, checked together. */}}

{{/* The redirect URL of the OIDC login: as set, or on the Ingress host or the first HTTPRoute hostname. */}}
{{- define "topo-operator.oidcRedirectUrl" -}}
{{- $d := .Values.dashboard }}
{{- if $d.oidc.redirectUrl }}
{{- $d.oidc.redirectUrl }}
{{- else if and $d.ingress.enabled $d.ingress.host }}
{{- printf "%s://%s/auth/callback" (ternary "https" "http" $d.ingress.tls.enabled) $d.ingress.host }}
{{- else if and $d.httpRoute.enabled $d.httpRoute.hostnames }}
{{- printf "https://%s/auth/callback" (first $d.httpRoute.hostnames) }}
{{- else }}
{{- fail "dashboard.oidc.redirectUrl is required (or set dashboard.ingress.host or dashboard.httpRoute.hostnames to derive it)" }}
{{- end }}
{{- end }}

{{/* TOPO_DASHBOARD_OIDC_* for the operator container; fails on a missing setting, as the operator would at start. */}}
{{- define "topo-operator.oidcEnv" -}}
{{- $o := .Values.dashboard.oidc }}
{{- if not (or $o.allowedUsers $o.allowedGroups) }}
{{- fail "dashboard.oidc.allowedUsers or dashboard.oidc.allowedGroups must name someone ([\"*\"] lets in everyone the provider signs in)" }}
{{- end }}
- name: TOPO_DASHBOARD_OIDC_ISSUER_URL
  value: {{ required "dashboard.oidc.issuerUrl is required with dashboard.oidc.enabled" $o.issuerUrl | quote }}
- name: TOPO_DASHBOARD_OIDC_CLIENT_ID
  value: {{ required "dashboard.oidc.clientId is required with dashboard.oidc.enabled" $o.clientId | quote }}
{{- $secret := required "dashboard.oidc.existingSecret (a Secret with the session secret and the client secret) is required with dashboard.oidc.enabled" $o.existingSecret }}
{{- if $o.clientSecretKey }}
- name: TOPO_DASHBOARD_OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef: { name: {{ $secret | quote }}, key: {{ $o.clientSecretKey | quote }} }
{{- end }}
- name: TOPO_DASHBOARD_OIDC_SESSION_SECRET
  valueFrom:
    secretKeyRef: { name: {{ $secret | quote }}, key: {{ required "dashboard.oidc.sessionSecretKey is required" $o.sessionSecretKey | quote }} }
- name: TOPO_DASHBOARD_OIDC_REDIRECT_URL
  value: {{ include "topo-operator.oidcRedirectUrl" . | quote }}
- name: TOPO_DASHBOARD_OIDC_SCOPES
  value: {{ $o.scopes | quote }}
- name: TOPO_DASHBOARD_OIDC_ALLOWED_USERS
  value: {{ join "," $o.allowedUsers | quote }}
- name: TOPO_DASHBOARD_OIDC_ALLOWED_GROUPS
  value: {{ join "," $o.allowedGroups | quote }}
- name: TOPO_DASHBOARD_OIDC_GROUPS_CLAIM
  value: {{ $o.groupsClaim | quote }}
- name: TOPO_DASHBOARD_OIDC_SESSION_TTL_SECONDS
  value: {{ $o.sessionTtlSeconds | quote }}
{{- end }}

{{/* The claim a SQLite history lives on: the one given, or the chart's. */}}
{{- define "topo-operator.historyClaim" -}}
{{- default (printf "%s-history" (include "topo-operator.fullname" .)) .Values.history.persistence.existingClaim }}
{{- end }}

{{/* TOPO_HISTORY_* for the operator container: the URL from its Secret, else SQLite on the volume. */}}
{{- define "topo-operator.historyEnv" -}}
{{- $h := .Values.history }}
{{- if $h.url.existingSecret }}
- name: TOPO_HISTORY_URL
  valueFrom:
    secretKeyRef: { name: {{ $h.url.existingSecret | quote }}, key: {{ $h.url.key | quote }} }
{{- else if $h.persistence.enabled }}
- name: TOPO_HISTORY_URL
  value: {{ printf "sqlite:%s/history.db" (trimSuffix "/" $h.persistence.mountPath) | quote }}
{{- end }}
{{- if $h.retention }}
- name: TOPO_HISTORY_RETENTION
  value: {{ $h.retention | quote }}
{{- end }}
{{- end }}

{{/* Values that cannot work together fail the render with one line saying why. */}}
{{- define "topo-operator.checkHosting" -}}
{{- $d := .Values.dashboard }}
{{- range $what := list "oidc" "ingress" "httpRoute" }}
{{- if and (index $d $what).enabled (not $d.enabled) }}
{{- fail (printf "dashboard.%s.enabled needs dashboard.enabled" $what) }}
{{- end }}
{{- end }}
{{- if and $d.ingress.enabled (not $d.ingress.host) }}
{{- fail "dashboard.ingress.host is required with dashboard.ingress.enabled" }}
{{- end }}
{{- if and $d.httpRoute.enabled (not $d.httpRoute.parentRefs) }}
{{- fail "dashboard.httpRoute.parentRefs is required with dashboard.httpRoute.enabled (the Gateway it attaches to)" }}
{{- end }}
{{- $p := .Values.history.persistence }}
{{- if and $p.enabled (gt (int .Values.replicas) 1) }}
{{- fail "history.persistence keeps SQLite on a volume one pod writes: it needs replicas 1 (use history.url with PostgreSQL for more)" }}
{{- end }}
{{- end }}
