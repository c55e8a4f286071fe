import { GENERATED_HEADER } from './artifact.ts';

/**
 * `s` as Go template text that renders as exactly `s`: each `{{` becomes the action `{{ "{{" }}`, which prints it
 * (outside an action nothing else is syntax). For every value from the definitions that Prometheus or Alertmanager
 * executes as a template although the definition means it literally: alert label values, the dashboard URL
 * annotation, and Alertmanager's templated receiver fields (email to/from, WeChat corp_id, agent_id, to_*).
 * The template file below holds no value from the definitions: names and labels reach it only as data.
 */
export function goTemplateText(s: string): string {
  return s.replace(/\{\{/g, '{{ "{{" }}');
}

/** Names of the notification templates defined in `alertmanager/templates/vigil.tmpl`. */
export const TEMPLATE_NAMES = {
  emailSubject: 'vigil.email.subject',
  emailHtml: 'vigil.email.html',
  wecomMessage: 'vigil.wecom.message',
} as const;

/**
 * The Go templates Alertmanager renders notifications with. Only functions of Alertmanager 0.25's template package
 * are used (toUpper, join, safeHtml, plus text/template builtins), and only fields of template.Data / template.Alert
 * (Status, Alerts.Firing, Labels.SortedPairs, Annotations, StartsAt, EndsAt, GeneratorURL, ExternalURL).
 * The same file is parsed as text/template and html/template; vigil.email.html is executed as HTML, so values in it
 * are escaped by html/template. Annotation names follow the Prometheus rules emitter: summary, description,
 * runbook_url, dashboard_url.
 */
export const VIGIL_TEMPLATE = `{{/* ${GENERATED_HEADER} */}}

{{/* One line: [FIRING:2] critical GpuMemoryHigh service=training */}}
{{ define "vigil.email.subject" -}}
[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}]
{{- with .CommonLabels.severity }} {{ . }}{{ end }}
{{- range .GroupLabels.SortedPairs }} {{ if eq .Name "alertname" }}{{ .Value }}{{ else }}{{ .Name }}={{ .Value }}{{ end }}{{ end }}
{{- end }}

{{ define "vigil.email.alert.html" -}}
<tr><td style="padding:8px 0;border-top:1px solid #ddd">
<b>{{ .Labels.alertname }}</b>
{{- with .Labels.severity }} <span style="color:#888">[{{ . }}]</span>{{ end }}
{{- if eq .Status "resolved" }} <span style="color:#2a2">resolved</span>{{ end }}<br>
{{- with .Annotations.summary }}{{ . }}<br>{{ end }}
{{- with .Annotations.description }}<span style="color:#555">{{ . }}</span><br>{{ end }}
<span style="color:#888">since {{ .StartsAt.Format "2006-01-02 15:04:05 MST" }}</span><br>
{{- with .Annotations.runbook_url }}<a href="{{ . }}">Runbook</a> {{ end }}
{{- with .Annotations.dashboard_url }}<a href="{{ . }}">Dashboard</a> {{ end }}
{{- with .GeneratorURL }}<a href="{{ . }}">Query</a>{{ end }}<br>
<small style="color:#888">{{ range .Labels.SortedPairs }}{{ .Name }}={{ .Value }} {{ end }}</small>
</td></tr>
{{- end }}

{{ define "vigil.email.html" -}}
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ template "vigil.email.subject" . }}</title></head>
<body style="font-family:sans-serif;font-size:14px">
<h3>{{ template "vigil.email.subject" . }}</h3>
<table style="border-collapse:collapse;width:100%">
{{- if .Alerts.Firing }}
<tr><td><b>Firing ({{ .Alerts.Firing | len }})</b></td></tr>
{{- range .Alerts.Firing }}
{{ template "vigil.email.alert.html" . }}
{{- end }}
{{- end }}
{{- if .Alerts.Resolved }}
<tr><td style="padding-top:16px"><b>Resolved ({{ .Alerts.Resolved | len }})</b></td></tr>
{{- range .Alerts.Resolved }}
{{ template "vigil.email.alert.html" . }}
{{- end }}
{{- end }}
</table>
<p><a href="{{ .ExternalURL }}">Alertmanager</a></p>
</body></html>
{{- end }}

{{/* Plain text for WeCom (企业微信): one block per alert. */}}
{{ define "vigil.wecom.alert" -}}
{{ if eq .Status "firing" }}【告警 FIRING】{{ else }}【恢复 RESOLVED】{{ end }}{{ .Labels.alertname }}
级别 severity: {{ .Labels.severity }}
{{ with .Annotations.summary }}摘要 summary: {{ . }}
{{ end -}}
{{ with .Annotations.description }}描述 description: {{ . }}
{{ end -}}
开始 started: {{ .StartsAt.Format "2006-01-02 15:04:05 MST" }}
{{ if eq .Status "resolved" }}恢复 resolved: {{ .EndsAt.Format "2006-01-02 15:04:05 MST" }}
{{ end -}}
{{ with .Annotations.runbook_url }}手册 runbook: {{ . }}
{{ end -}}
{{ with .Annotations.dashboard_url }}看板 dashboard: {{ . }}
{{ end -}}
标签 labels:{{ range .Labels.SortedPairs }}{{ if and (ne .Name "alertname") (ne .Name "severity") }} {{ .Name }}={{ .Value }}{{ end }}{{ end }}
{{- end }}

{{ define "vigil.wecom.message" -}}
{{ if .Alerts.Firing }}{{ .Alerts.Firing | len }} 条告警 firing{{ end }}
{{- if and .Alerts.Firing .Alerts.Resolved }}, {{ end }}
{{- if .Alerts.Resolved }}{{ .Alerts.Resolved | len }} 条恢复 resolved{{ end }}
{{ range .Alerts.Firing }}
{{ template "vigil.wecom.alert" . }}
{{ end -}}
{{ range .Alerts.Resolved }}
{{ template "vigil.wecom.alert" . }}
{{ end -}}
{{- end }}
`;
