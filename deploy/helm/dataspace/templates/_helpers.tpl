{{/* Names and labels shared by both components. */}}

{{- define "dataspace.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-<chart>, or fullnameOverride; the components append -broker / -connector. */}}
{{- define "dataspace.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "dataspace.name" .) | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "dataspace.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "dataspace.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: call with (dict "root" $ "component" "broker"). */}}
{{- define "dataspace.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dataspace.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "dataspace.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The init container that copies the Secret's files to an in-memory folder, mode 0400,
     owned by the service user (a Secret volume with fsGroup would be group-readable). */}}
{{- define "dataspace.copySecrets" -}}
- name: secrets
  image: {{ include "dataspace.image" .root }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  command:
    - sh
    - -c
    - 'set -e; for f in /secrets-in/*; do if [ -f "$f" ]; then install -m 0400 "$f" "/etc/dataspace/secrets/${f##*/}"; fi; done; ls /etc/dataspace/secrets'
  securityContext:
    {{- toYaml .root.Values.securityContext | nindent 4 }}
  resources:
    requests: {cpu: 10m, memory: 16Mi}
    limits: {memory: 32Mi}
  volumeMounts:
    - name: secret-source
      mountPath: /secrets-in
      readOnly: true
    - name: secrets
      mountPath: /etc/dataspace/secrets
{{- end -}}
