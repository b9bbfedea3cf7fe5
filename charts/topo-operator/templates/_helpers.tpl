{{/* Names, labels and the RBAC rules shared by the ClusterRole and the per-namespace Roles. */}}

{{- define "topo-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "topo-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "topo-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "topo-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- /* The `helm test` Pod's own: the operator's selector (Services, PDB, NetworkPolicy) must not pick it. */}}
{{- define "topo-operator.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "topo-operator.name" . }}-test
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
{{- end }}

{{- define "topo-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "topo-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: topo
{{- end }}

{{- define "topo-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "topo-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "topo-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* "true" when the replicas must elect a leader. */}}
{{- define "topo-operator.leaderElect" -}}
{{- if or .Values.leaderElection.enabled (gt (int .Values.replicas) 1) }}true{{ else }}false{{ end }}
{{- end }}

{{/*
Exactly what the operator calls (operator/src/controller): Topologies and their children are read from
informers (list, watch), children are written with server-side apply (patch; create when missing) and
pruned (delete); status is replaced (update on the status subresource); a superseded revision is kept
in a ControllerRevision (get, create; list and delete to prune); Events are core/v1 (create).
No Secrets: the kubelet, not the operator, resolves secretRef env. No wildcards.
*/}}
{{- define "topo-operator.rules" -}}
- apiGroups: ["topo.dev"]
  resources: ["topologies"]
  verbs: ["list", "watch"]
- apiGroups: ["topo.dev"]
  resources: ["topologies/status"]
  verbs: ["update"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  {{- /* configmaps: a node's content files, one immutable ConfigMap per content; never secrets. */}}
  resources: ["services", "persistentvolumeclaims", "configmaps"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: ["batch"]
  {{- /* A task node runs as a Job. */}}
  resources: ["jobs"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "watch"]
- apiGroups: [""]
  {{- /* A failed task's last log lines go into the Topology's failure message. */}}
  resources: ["pods/log"]
  verbs: ["get"]
- apiGroups: ["apps"]
  resources: ["controllerrevisions"]
  verbs: ["create", "get", "list", "delete"]
- apiGroups: [""]
  resources: ["events"]
  {{- /* The dashboard's events endpoint lists the Events of a topology and its children; the history
  recorder lists and watches them, so they outlive the API server's hour. */}}
  {{- $history := or .Values.history.url.existingSecret .Values.history.persistence.enabled }}
  verbs: {{ if $history }}["create", "list", "watch"]{{ else if .Values.dashboard.enabled }}["create", "list"]{{ else }}["create"]{{ end }}
{{- end }}
