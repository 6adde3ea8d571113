{{- define "token-shim.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "token-shim.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "token-shim.labels" -}}
{{ include "token-shim.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "token-shim.tls" -}}
{{- if or .Values.tls.existingSecret .Values.tls.selfSigned -}}true{{- end -}}
{{- end -}}

{{- define "token-shim.servicePort" -}}
{{- .Values.service.port | default (ternary 443 80 (eq (include "token-shim.tls" .) "true")) -}}
{{- end -}}

{{- define "token-shim.bootstrapSecret" -}}
{{- .Values.bootstrapPassword.existingSecret | default (printf "%s-bootstrap" (include "token-shim.fullname" .)) -}}
{{- end -}}

{{- define "token-shim.claim" -}}
{{- .Values.persistence.existingClaim | default (printf "%s-data" (include "token-shim.fullname" .)) -}}
{{- end -}}

{{/* The combinations the server cannot run: stop `helm install` with the reason. */}}
{{- define "token-shim.check" -}}
{{- $db := .Values.database.type -}}
{{- if not (has $db (list "sqlite" "postgresql")) -}}
{{- fail (printf "database.type %q is not sqlite or postgresql" $db) -}}
{{- end -}}
{{- if and (eq $db "sqlite") (gt (int .Values.replicaCount) 1) -}}
{{- fail (printf "replicaCount %d needs database.type postgresql: an SQLite file serves one pod (use workers for more cores)" (int .Values.replicaCount)) -}}
{{- end -}}
{{- if and (eq $db "postgresql") (not .Values.database.postgresql.existingSecret) -}}
{{- fail "database.type postgresql needs database.postgresql.existingSecret: the Secret holding the PostgreSQL URL" -}}
{{- end -}}
{{- if and .Values.tls.selfSigned .Values.tls.existingSecret -}}
{{- fail "tls.selfSigned and tls.existingSecret exclude each other" -}}
{{- end -}}
{{- if and .Values.tls.selfSigned (eq $db "postgresql") -}}
{{- fail "tls.selfSigned keeps its CA in one pod's /data: with database.type postgresql use tls.existingSecret" -}}
{{- end -}}
{{- if not (has .Values.metrics (list "off" "public" "admin")) -}}
{{- fail (printf "metrics %q is not off, public or admin" (toString .Values.metrics)) -}}
{{- end -}}
{{- end -}}
