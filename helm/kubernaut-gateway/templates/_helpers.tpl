{{/* The chart name, overridable. */}}
{{- define "kubernaut-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full name of the release's resources, at most 63 characters. */}}
{{- define "kubernaut-gateway.fullname" -}}
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

{{/* name-version, for the helm.sh/chart label. */}}
{{- define "kubernaut-gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "kubernaut-gateway.labels" -}}
helm.sh/chart: {{ include "kubernaut-gateway.chart" . }}
{{ include "kubernaut-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kubernaut
{{- end }}

{{/* Labels that select the gateway pods; never change them (Deployment selectors are immutable). */}}
{{- define "kubernaut-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubernaut-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The gateway's ServiceAccount name. */}}
{{- define "kubernaut-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kubernaut-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image reference; the tag defaults to the chart's appVersion. */}}
{{- define "kubernaut-gateway.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The gateway's configuration: .Values.config over the chart's defaults (auth.namespace and
kubernetes.fallbackNamespace: the release namespace). Settings the chart owns are refused here.
*/}}
{{- define "kubernaut-gateway.config" -}}
{{- $config := deepCopy (.Values.config | default dict) }}
{{- range $key := list "bind" "workers" }}
{{- if hasKey ($config.server | default dict) $key }}
{{- fail (printf "config.server.%s is set by the chart (port 8080, .Values.workers); remove it" $key) }}
{{- end }}
{{- end }}
{{- if hasKey ($config.redis | default dict) "url" }}
{{- fail "config.redis.url would put the Redis URL in a ConfigMap; set redis.url or redis.existingSecret instead" }}
{{- end }}
{{- $defaults := dict "auth" (dict "namespace" .Release.Namespace) "kubernetes" (dict "fallbackNamespace" .Release.Namespace) }}
{{- mergeOverwrite $defaults $config | toYaml }}
{{- end }}

{{/* The namespace in which callers need create on remediationrequests. */}}
{{- define "kubernaut-gateway.authNamespace" -}}
{{- (include "kubernaut-gateway.config" . | fromYaml).auth.namespace }}
{{- end }}

{{/*
PromQL label matchers that select the gateway's series: prometheusRule.selector, else the job
and namespace labels that the ServiceMonitor's scrapes carry (the Service's name, the release
namespace).
*/}}
{{- define "kubernaut-gateway.metricsSelector" -}}
{{- .Values.prometheusRule.selector | default (printf "job=%q,namespace=%q" (include "kubernaut-gateway.fullname" .) .Release.Namespace) }}
{{- end }}

{{/* An alert's runbook_url: prometheusRule.runbookUrl, then the alert's name in lowercase. */}}
{{- define "kubernaut-gateway.runbookUrl" -}}
{{- printf "%s%s" (index . 0).Values.prometheusRule.runbookUrl (lower (index . 1)) | quote }}
{{- end }}
