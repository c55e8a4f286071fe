/* eslint-disable */
// Generated from src/spec/schemas/*.schema.json by `npm run gen:types`. Do not edit by hand;
// test/spec/types-in-sync.test.ts fails when this file is stale.

export type LabelNames = string[];

/**
 * Project-wide settings. Exactly one per project.
 */
export interface ProjectSpec {
  /**
   * Definition format version.
   */
  apiVersion: 'vigil/v1';
  kind: 'Project';
  name: string;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  evaluationInterval?: string;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  scrapeInterval?: string;
  externalLabels?: Labels;
  grafana?: {
    /**
     * Grafana's base URL, used for dashboard links in alert annotations.
     */
    url?: string;
    datasourceUid?: string;
    /**
     * Also write every dashboard in Grafana's export format (grafana/export/<uid>.json: the datasource as the ${DS_PROMETHEUS} input, __inputs, __requires), to import by hand or publish.
     */
    exportFormat?: boolean;
    folder?: string;
    tags?: string[];
  };
  relay?: RelaySettings;
  /**
   * Also write the rule groups as prometheus-operator PrometheusRule manifests (kubernetes/prometheusrules.yaml), one per group.
   */
  prometheusRule?: {
    /**
     * metadata.namespace of every manifest.
     */
    namespace?: string;
    /**
     * metadata.labels of every manifest, e.g. the release label the operator's ruleSelector matches.
     */
    labels?: {
      [k: string]: string;
    };
  };
  /**
   * Alertmanager's global settings (global: of alertmanager.yml) and extra template files.
   */
  alertmanager?: {
    /**
     * global.resolve_timeout (default 5m).
     */
    resolveTimeout?: string;
    /**
     * global.smtp_hello: the host name email sends in HELO/EHLO (Alertmanager: localhost).
     */
    smtpHello?: string;
    /**
     * global.wechat_api_url: the WeCom API that wecom receivers talk to, ending in / (Alertmanager: https://qyapi.weixin.qq.com/cgi-bin/), e.g. a proxy or a private deployment.
     */
    wechatApiUrl?: string;
    httpConfig?: HttpClientConfig;
    /**
     * Template files (globs) on the Alertmanager host, loaded after Vigil's own vigil.tmpl.
     *
     * @maxItems 100
     *
     * Items: An absolute path or glob on the Alertmanager host.
     */
    templates?: string[];
  };
  smtp?: {
    smarthost: string;
    from: string;
    authUsername?: string;
    /**
     * A reference to a secret: an environment variable or a file. Never the secret itself.
     */
    authPassword?:
      | {
          env: string;
        }
      | {
          file: string;
        };
    requireTls?: boolean;
  };
  policies?: {
    requiredAlertLabels?: LabelNames;
    testCoverage?: number;
    /**
     * The longest a Silences entry may last (silence/max-duration); default 7d.
     */
    silenceMaxDuration?: string;
    /**
     * Severity of a check by its id (`vigil checks` lists them): error, warning, or off. Errors of loading and schema stages cannot be changed.
     */
    checks?: {
      [k: string]: 'error' | 'warning' | 'off';
    };
  };
}
/**
 * Label names to values.
 */
export interface Labels {
  [k: string]: string;
}
/**
 * The Vigil notification relay: where Alertmanager posts dingtalk and sms notifications, and how the relay runs (`vigil relay` reads these from the build).
 */
export interface RelaySettings {
  /**
   * Where Alertmanager posts (the relay's address as Alertmanager reaches it).
   */
  url: string;
  /**
   * The bearer token Alertmanager sends with every notification and the relay requires (http_config.authorization.credentials_file).
   */
  token?:
    | {
        env: string;
      }
    | {
        file: string;
      };
  apiTokens?: {
    /**
     * Token for reading the alerts API, status and metrics.
     */
    read?:
      | {
          env: string;
        }
      | {
          file: string;
        };
    /**
     * Token for confirm, close and reload (reads too).
     */
    operate?:
      | {
          env: string;
        }
      | {
          file: string;
        };
  };
  /**
   * host:port the relay listens on; default 127.0.0.1 and the port of url.
   */
  listen?: string;
  /**
   * The relay as people reach it from chat messages (confirm and close links); none: messages carry no links.
   */
  publicUrl?: string;
  /**
   * sqlite:/path/relay.db (default sqlite:vigil-relay.db) or postgres://user@host:5432/db (the password in storePassword, never in the URL).
   */
  store?: string;
  /**
   * Where `vigil deploy` writes the relay's part of the build (relay.yml, environment.json, manifest.json under <buildDir>/<env>/), as the deploying machine reaches it; the relay runs with --build on the same directory. Without it, plan and deploy leave the relay alone.
   */
  buildDir?: string;
  /**
   * The PostgreSQL password.
   */
  storePassword?:
    | {
        env: string;
      }
    | {
        file: string;
      };
  /**
   * Language of the relay's messages; default zh.
   */
  language?: 'zh' | 'en';
  /**
   * IANA time zone of the times in messages; default Asia/Shanghai.
   */
  timeZone?: string;
  /**
   * The SMS provider the relay sends through.
   */
  sms?:
    | {
        provider: 'aliyun';
        /**
         * A reference to a secret: an environment variable or a file. Never the secret itself.
         */
        accessKeyId:
          | {
              env: string;
            }
          | {
              file: string;
            };
        /**
         * A reference to a secret: an environment variable or a file. Never the secret itself.
         */
        accessKeySecret:
          | {
              env: string;
            }
          | {
              file: string;
            };
        signName: string;
        templateCode: string;
        endpoint?: string;
      }
    | {
        provider: 'tencent';
        /**
         * A reference to a secret: an environment variable or a file. Never the secret itself.
         */
        secretId:
          | {
              env: string;
            }
          | {
              file: string;
            };
        /**
         * A reference to a secret: an environment variable or a file. Never the secret itself.
         */
        secretKey:
          | {
              env: string;
            }
          | {
              file: string;
            };
        sdkAppId: string;
        signName: string;
        templateId: string;
        region?: string;
        endpoint?: string;
      }
    | {
        provider: 'http';
        url: string;
        /**
         * A reference to a secret: an environment variable or a file. Never the secret itself.
         */
        token?:
          | {
              env: string;
            }
          | {
              file: string;
            };
      };
}
/**
 * global.http_config: the default HTTP client of every integration.
 */
export interface HttpClientConfig {
  /**
   * proxy_url: the proxy every request goes through.
   */
  proxyUrl?: string;
  /**
   * follow_redirects (Alertmanager: true).
   */
  followRedirects?: boolean;
  /**
   * enable_http2 (Alertmanager: true).
   */
  enableHttp2?: boolean;
  basicAuth?: {
    username: string;
    /**
     * A reference to a secret: an environment variable or a file. Never the secret itself.
     */
    password:
      | {
          env: string;
        }
      | {
          file: string;
        };
  };
  authorization?: {
    /**
     * The scheme (default Bearer).
     */
    type?: string;
    /**
     * A reference to a secret: an environment variable or a file. Never the secret itself.
     */
    credentials:
      | {
          env: string;
        }
      | {
          file: string;
        };
  };
  tlsConfig?: {
    /**
     * ca_file, a path on the Alertmanager host.
     */
    caFile?: string;
    /**
     * cert_file, a path on the Alertmanager host.
     */
    certFile?: string;
    /**
     * key_file, a path on the Alertmanager host.
     */
    keyFile?: string;
    serverName?: string;
    insecureSkipVerify?: boolean;
    minVersion?: 'TLS10' | 'TLS11' | 'TLS12' | 'TLS13';
  };
}

export interface MetricsSpec {
  /**
   * Definition format version.
   */
  apiVersion: 'vigil/v1';
  kind: 'Metrics';
  /**
   * Default source (exporter) of the metrics in this file.
   */
  source?: string;
  metrics?: {
    name: string;
    type: 'counter' | 'gauge' | 'histogram' | 'summary';
    help: string;
    unit?: string;
    labels?: LabelNames;
    source?: string;
    /**
     * Histograms: the upper bounds of the buckets, ascending (+Inf is implied). Generated instrumentation uses them; default 0.005 … 10 (seconds).
     *
     * @minItems 1
     * @maxItems 64
     */
    buckets?: [number, ...number[]];
  }[];
  /**
   * Items: Metrics another exporter serves: a built-in catalogue (catalogue:), or names and prefixes of a source (source:). One of the two is required.
   */
  external?: {
    /**
     * A catalogue shipped with Vigil: node_exporter, prometheus, alertmanager, pushgateway, client_golang, prom_client, dcgm_exporter. Every metric of it is known with its type and labels; a name under its prefixes that it does not list is an error.
     */
    catalogue?: string;
    /**
     * The source (scrape job) of these metrics; with catalogue:, default the catalogue's own.
     */
    source?: string;
    /**
     * true: names:/metrics: (and the catalogue) list every metric under prefixes:, any other name under them is a typo. Default: true with catalogue:, else false (every name under a prefix is known).
     */
    exhaustive?: boolean;
    prefixes?: string[];
    names?: string[];
    labels?: LabelNames;
    /**
     * Exact metric names, each with the labels its own series carry (instead of the entry's labels).
     */
    metrics?: {
      name: string;
      labels: LabelNames;
      /**
       * With it, checks judge the metric as a catalogued one (rate() of a gauge, a histogram's series).
       */
      type?: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
      help?: string;
    }[];
  }[];
}

/**
 * Severity levels, ordered from most to least severe. Exactly one per project.
 */
export interface SeveritiesSpec {
  /**
   * Definition format version.
   */
  apiVersion: 'vigil/v1';
  kind: 'Severities';
  /**
   * @minItems 1
   */
  levels: [
    {
      name: string;
      /**
       * Alerts of this level carry no severity label — for rules imported from a setup that routes by other labels. Vigil still names the level (thresholds, tests); Prometheus and Alertmanager never see the name, and the level takes no part in the automatic level inhibition.
       */
      label?: false;
      /**
       * A Prometheus duration such as 30s, 5m or 1h30m.
       */
      groupWait?: string;
      /**
       * A Prometheus duration such as 30s, 5m or 1h30m.
       */
      groupInterval?: string;
      /**
       * A Prometheus duration such as 30s, 5m or 1h30m.
       */
      repeatInterval?: string;
      /**
       * A Prometheus duration such as 30s, 5m or 1h30m.
       */
      confirmExpiry?: string;
      escalation?: {
        /**
         * A Prometheus duration such as 30s, 5m or 1h30m.
         */
        after: string;
        /**
         * @minItems 1
         */
        receivers: [string, ...string[]];
        /**
         * A Prometheus duration such as 30s, 5m or 1h30m.
         */
        repeat?: string;
      }[];
    },
    ...{
      name: string;
      /**
       * Alerts of this level carry no severity label — for rules imported from a setup that routes by other labels. Vigil still names the level (thresholds, tests); Prometheus and Alertmanager never see the name, and the level takes no part in the automatic level inhibition.
       */
      label?: false;
      /**
       * A Prometheus duration such as 30s, 5m or 1h30m.
       */
      groupWait?: string;
      /**
       * A Prometheus duration such as 30s, 5m or 1h30m.
       */
      groupInterval?: string;
      /**
       * A Prometheus duration such as 30s, 5m or 1h30m.
       */
      repeatInterval?: string;
      /**
       * A Prometheus duration such as 30s, 5m or 1h30m.
       */
      confirmExpiry?: string;
      escalation?: {
        /**
         * A Prometheus duration such as 30s, 5m or 1h30m.
         */
        after: string;
        /**
         * @minItems 1
         */
        receivers: [string, ...string[]];
        /**
         * A Prometheus duration such as 30s, 5m or 1h30m.
         */
        repeat?: string;
      }[];
    }[]
  ];
}

/**
 * A group of alerts; compiles to one Prometheus rule group.
 */
export interface AlertRulesSpec {
  /**
   * Definition format version.
   */
  apiVersion: 'vigil/v1';
  kind: 'AlertRules';
  /**
   * Rule group name, as Prometheus takes any; the file name is derived from it safely.
   */
  group: string;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  interval?: string;
  /**
   * At most this many alerts per rule of the group (0: no limit); Prometheus' `limit`.
   */
  limit?: number;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  queryOffset?: string;
  labels?: Labels;
  alerts: {
    /**
     * Any text Prometheus accepts as an alert name, without line breaks or other control characters; alert/name-style holds the style opinion.
     */
    name: string;
    /**
     * The expression of every level; absent when `rules:` gives each level its own.
     */
    expr?: string;
    thresholds?: {
      [k: string]: Threshold;
    };
    severity?: string;
    /**
     * Levels with expressions of their own, in place of `expr` with `thresholds` or `severity`.
     *
     * @minItems 1
     */
    rules?: [Level, ...Level[]];
    /**
     * A Prometheus duration such as 30s, 5m or 1h30m.
     */
    for?: string;
    /**
     * A Prometheus duration such as 30s, 5m or 1h30m.
     */
    keepFiringFor?: string;
    summary?: string;
    description?: string;
    runbook?: string;
    dashboard?: string;
    labels?: Labels;
    annotations?: Annotations1;
    enabled?: boolean;
  }[];
}
/**
 * Label names to values.
 */
export interface Threshold {
  op: '>' | '>=' | '<' | '<=' | '==' | '!=';
  value: number;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  for?: string;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  keepFiringFor?: string;
}
/**
 * One level with an expression of its own (prometheus-operator's style: one rule per severity); compiles to its own alerting rule with the alert's name.
 */
export interface Level {
  severity: string;
  expr: string;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  for?: string;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  keepFiringFor?: string;
  labels?: Labels1;
  annotations?: Annotations;
}
/**
 * Labels of this level's rule; they win over the alert's and the group's.
 */
export interface Labels1 {
  [k: string]: string;
}
/**
 * Annotations of this level's rule; they win over the alert's.
 */
export interface Annotations {
  [k: string]: string;
}
export interface Annotations1 {
  [k: string]: string;
}

/**
 * A group of recording rules (level:metric:operation); compiles to one Prometheus rule group.
 */
export interface RecordingRulesSpec {
  /**
   * Definition format version.
   */
  apiVersion: 'vigil/v1';
  kind: 'RecordingRules';
  /**
   * Rule group name, as Prometheus takes any; the file name is derived from it safely.
   */
  group: string;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  interval?: string;
  /**
   * At most this many series per rule of the group (0: no limit); Prometheus' `limit`.
   */
  limit?: number;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  queryOffset?: string;
  rules: {
    record: string;
    expr: string;
    labels?: Labels;
    enabled?: boolean;
  }[];
}
/**
 * Label names to values.
 */
export type NoAlert = false;
/**
 * A severity level of Severities, or false for none.
 */
export type SeverityChoice = string | false;
/**
 * No error-budget dashboard.
 */
export type NoDashboard = false;

/**
 * Service-level objectives; each compiles to a recording-rule group (error ratios, error budget, burn rates) and one multi-window, multi-burn-rate alert.
 */
export interface SLOsSpec {
  /**
   * Definition format version.
   */
  apiVersion: 'vigil/v1';
  kind: 'SLOs';
  /**
   * Base of the rule group names: <group>-recordings and <group>-alerts.
   */
  group: string;
  /**
   * Evaluation interval of both rule groups.
   */
  interval?: string;
  labels?: Labels;
  slos: {
    /**
     * Unique in the project; the value of the `slo` label.
     */
    name: string;
    /**
     * The value of the `service` label.
     */
    service: string;
    description?: string;
    /**
     * Percent of good events over the window, in (0, 100).
     */
    objective: number;
    /**
     * The SLO period (28d or 30d typical).
     */
    window: string;
    /**
     * Exactly one of events, ratio or latency.
     */
    sli: {
      events?: {
        /**
         * PromQL of the rate of bad events, with {{ .window }} for the range.
         */
        errorQuery: string;
        /**
         * PromQL of the rate of all events, with {{ .window }} for the range.
         */
        totalQuery: string;
      };
      ratio?: {
        /**
         * Series selector of the counter of good events.
         */
        good: string;
        /**
         * Series selector of the counter of all events.
         */
        total: string;
      };
      latency?: {
        /**
         * The histogram's _bucket series.
         */
        bucket: string;
        /**
         * The bucket bound: a request is good when it took at most this long.
         */
        le: string;
        /**
         * Label matchers in braces, e.g. {service="inference"}.
         */
        selector?: string;
      };
    };
    labels?: Labels1;
    alert?: NoAlert | Alert;
    dashboard?: NoDashboard | SloDashboard;
  }[];
}
/**
 * Label names to values.
 */
export interface Alert {
  name?: string;
  page?: SeverityChoice;
  ticket?: SeverityChoice;
  summary?: string;
  description?: string;
  runbook?: string;
  dashboard?: string;
  labels?: Labels1;
  annotations?: Annotations;
  /**
   * @minItems 1
   */
  burnRates?: [BurnRate, ...BurnRate[]];
}
export interface BurnRate {
  /**
   * Which of the alert's levels this pair of windows belongs to.
   */
  severity: 'page' | 'ticket';
  /**
   * The long window: the burn must last this long.
   */
  long: string;
  /**
   * The short window: the burn is still going on (the alert resets quickly).
   */
  short: string;
  /**
   * The burn rate: how many times faster than the objective allows the budget is spent.
   */
  factor: number;
  /**
   * The level's `for` (the largest of its pairs applies); none by default.
   */
  for?: string;
}
/**
 * The SLO's error-budget dashboard: its uid and title.
 */
export interface SloDashboard {
  /**
   * Grafana uid of the error-budget dashboard; default slo-<name>.
   */
  uid?: string;
  /**
   * Title; default "SLO <name>".
   */
  title?: string;
}

/**
 * A secret of an Alertmanager integration: { env: NAME } or { file: /path }. A literal string is refused by secret/literal.
 */
export type IntegrationSecret = string | {};

/**
 * Notification audiences. Each receiver has one or more channels (each at most once) or Alertmanager integrations, or says discard: true.
 */
export interface ReceiversSpec {
  /**
   * Definition format version.
   */
  apiVersion: 'vigil/v1';
  kind: 'Receivers';
  receivers: {
    name: string;
    /**
     * Also notify when the alert resolves (default true).
     */
    sendResolved?: boolean;
    /**
     * The receiver the relay notifies when a relay channel's delivery to this one finally fails (a dead letter), e.g. SMS when DingTalk keeps failing.
     */
    fallback?: string;
    /**
     * The receiver delivers nothing, on purpose (the null receiver that swallows Watchdog): it has no channel.
     */
    discard?: true;
    alertmanager?: Integrations;
    email?: {
      /**
       * @minItems 1
       */
      to: [string, ...string[]];
      sendResolved?: boolean;
    };
    wecom?: {
      corpId: string;
      agentId: string;
      toParty?: string;
      toUser?: string;
      toTag?: string;
      /**
       * A reference to a secret: an environment variable or a file. Never the secret itself.
       */
      apiSecret:
        | {
            env: string;
          }
        | {
            file: string;
          };
      sendResolved?: boolean;
    };
    dingtalk?: {
      /**
       * A reference to a secret: an environment variable or a file. Never the secret itself.
       */
      webhook:
        | {
            env: string;
          }
        | {
            file: string;
          };
      /**
       * A reference to a secret: an environment variable or a file. Never the secret itself.
       */
      secret?:
        | {
            env: string;
          }
        | {
            file: string;
          };
      atMobiles?: string[];
      atAll?: boolean;
      sendResolved?: boolean;
    };
    wecomRobot?: {
      /**
       * A reference to a secret: an environment variable or a file. Never the secret itself.
       */
      webhook:
        | {
            env: string;
          }
        | {
            file: string;
          };
      mentions?: string[];
      sendResolved?: boolean;
    };
    sms?: {
      /**
       * @minItems 1
       */
      to: [string, ...string[]];
      sendResolved?: boolean;
    };
    webhook?: {
      url: string;
      /**
       * A reference to a secret: an environment variable or a file. Never the secret itself.
       */
      bearerToken?:
        | {
            env: string;
          }
        | {
            file: string;
          };
      maxAlerts?: number;
      sendResolved?: boolean;
    };
    /**
     * Any HTTP endpoint, posted by the Vigil relay: its own JSON body, signed with HMAC-SHA256 in a header.
     */
    signedWebhook?: {
      url: string;
      /**
       * A reference to a secret: an environment variable or a file. Never the secret itself.
       */
      secret:
        | {
            env: string;
          }
        | {
            file: string;
          };
      /**
       * The header carrying the signature (default X-Vigil-Signature).
       */
      header?: string;
      sendResolved?: boolean;
    };
  }[];
}
/**
 * Alertmanager 0.25's own integrations, written as in alertmanager.yml and emitted as they are (secret fields as references). amtool check-config validates the rest.
 */
export interface Integrations {
  /**
   * @maxItems 100
   */
  email_configs?: {
    auth_password?: IntegrationSecret;
    auth_secret?: IntegrationSecret;
  }[];
  /**
   * @maxItems 100
   */
  pagerduty_configs?: {
    routing_key?: IntegrationSecret;
    service_key?: IntegrationSecret;
    http_config?: IntegrationHttpConfig;
  }[];
  /**
   * @maxItems 100
   */
  slack_configs?: {
    api_url?: IntegrationSecret;
    http_config?: IntegrationHttpConfig;
  }[];
  /**
   * @maxItems 100
   */
  webhook_configs?: {
    http_config?: IntegrationHttpConfig;
  }[];
  /**
   * @maxItems 100
   */
  opsgenie_configs?: {
    api_key?: IntegrationSecret;
    http_config?: IntegrationHttpConfig;
  }[];
  /**
   * @maxItems 100
   */
  wechat_configs?: {
    api_secret?: IntegrationSecret;
    http_config?: IntegrationHttpConfig;
  }[];
  /**
   * @maxItems 100
   */
  pushover_configs?: {
    user_key?: IntegrationSecret;
    token?: IntegrationSecret;
    http_config?: IntegrationHttpConfig;
  }[];
  /**
   * @maxItems 100
   */
  victorops_configs?: {
    api_key?: IntegrationSecret;
    http_config?: IntegrationHttpConfig;
  }[];
  /**
   * @maxItems 100
   */
  sns_configs?: {
    http_config?: IntegrationHttpConfig;
    sigv4?: {
      secret_key?: IntegrationSecret;
    };
  }[];
  /**
   * @maxItems 100
   */
  telegram_configs?: {
    bot_token?: IntegrationSecret;
    http_config?: IntegrationHttpConfig;
  }[];
  /**
   * @maxItems 100
   */
  webex_configs?: {
    http_config?: IntegrationHttpConfig;
  }[];
}
/**
 * Alertmanager's http_config, as Alertmanager spells it; its secrets are references.
 */
export interface IntegrationHttpConfig {
  basic_auth?: {
    password?: IntegrationSecret;
  };
  authorization?: {
    credentials?: IntegrationSecret;
  };
  oauth2?: {
    client_secret?: IntegrationSecret;
  };
  bearer_token?: IntegrationSecret;
}

/**
 * Items: An Alertmanager matcher such as severity="critical", team=~"ml|infra" or service!="test".
 */
export type Matchers = string[];
export interface RoutesSpec {
  /**
   * Definition format version.
   */
  apiVersion: 'vigil/v1';
  kind: 'Routes';
  receiver: string;
  groupBy?: string[];
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  groupWait?: string;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  groupInterval?: string;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  repeatInterval?: string;
  routes?: Route[];
  inhibit?: {
    sourceMatchers: Matchers;
    targetMatchers: Matchers;
    equal?: LabelNames;
  }[];
  /**
   * Named time intervals (business hours, maintenance windows) that routes mute or activate by name.
   */
  timeIntervals?: {
    /**
     * @maxItems 1000
     */
    [k: string]: TimeInterval[];
  };
}
export interface Route {
  matchers?: Matchers;
  receiver?: string;
  /**
   * @minItems 1
   */
  receivers?: [string, ...string[]];
  continue?: boolean;
  groupBy?: string[];
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  groupWait?: string;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  groupInterval?: string;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  repeatInterval?: string;
  /**
   * Alerts matching this route may reach only the root receiver; that is intended.
   */
  defaultOk?: boolean;
  routes?: Route[];
  /**
   * mute_time_intervals: names of timeIntervals during which this route sends nothing.
   */
  muteTimeIntervals?: string[];
  /**
   * active_time_intervals: names of timeIntervals outside of which this route sends nothing.
   */
  activeTimeIntervals?: string[];
}
/**
 * One Alertmanager time_interval: every field given must match (an absent field matches always).
 */
export interface TimeInterval {
  times?: {
    /**
     * start_time, HH:MM (inclusive).
     */
    startTime: string;
    /**
     * end_time, HH:MM (exclusive; 24:00 is the end of the day).
     */
    endTime: string;
  }[];
  /**
   * Days or inclusive ranges: monday, monday:friday.
   */
  weekdays?: string[];
  /**
   * days_of_month: 1, 1:5, -1 (the last day), -3:-1.
   */
  daysOfMonth?: string[];
  /**
   * Months or ranges, by name or number: january, 1:3, march:may.
   */
  months?: string[];
  /**
   * Years or ranges: 2025, 2025:2027.
   */
  years?: string[];
  /**
   * IANA time zone the times are in (default UTC).
   */
  location?: string;
}

export type PanelItem = JsonPanel | Panel;

/**
 * A Grafana dashboard described by its panels and PromQL queries, or carried as Grafana's own JSON (json).
 */
export interface DashboardSpec {
  /**
   * Definition format version.
   */
  apiVersion: 'vigil/v1';
  kind: 'Dashboard';
  /**
   * Grafana uid (at most 40 characters); also the file name.
   */
  uid: string;
  /**
   * Required unless json is given (a JSON dashboard has its own title; this one replaces it).
   */
  title?: string;
  /**
   * The dashboard as Grafana JSON: a path to a .json file relative to this definition, or the JSON itself. Carried through with Vigil's additions only (uid, tags, datasource); excludes panels, rows, variables, time, refresh and description.
   */
  json?: string | {};
  description?: string;
  tags?: string[];
  refresh?: string;
  time?: {
    from: string;
    to: string;
  };
  variables?: {
    name: string;
    label?: string;
    type?: 'query' | 'custom' | 'interval' | 'constant';
    query?: string;
    values?: string[];
    multi?: boolean;
    includeAll?: boolean;
  }[];
  rows?: {
    title: string;
    collapsed?: boolean;
    panels: PanelItem[];
    /**
     * Grafana row JSON that Vigil does not model (repeat, gridPos…), merged over the row Vigil builds as a JSON Merge Patch (RFC 7386).
     */
    grafana?: {};
  }[];
  panels?: PanelItem[];
  /**
   * Grafana dashboard JSON that Vigil does not model (annotations, links, templating, graphTooltip…), merged over the dashboard Vigil builds as a JSON Merge Patch (RFC 7386). Cannot set what Vigil owns or what the fields above say: uid, id, version, schemaVersion, title, tags, panels, rows. Not with json.
   */
  grafana?: {};
}
/**
 * A panel carried as Grafana's own panel JSON, for what Vigil does not model (text, heatmap, graph…); its Prometheus queries are still checked.
 */
export interface JsonPanel {
  /**
   * The Grafana panel JSON. Vigil adds an id, and its datasource where none is named; gridPos is kept when given.
   */
  json: {
    type: string;
    [k: string]: unknown;
  };
}
export interface Panel {
  title: string;
  type: 'timeseries' | 'stat' | 'gauge' | 'table' | 'bargauge';
  description?: string;
  /**
   * A Grafana unit id (percent, bytes, s, reqps…) or a custom suffix such as samples/s.
   */
  unit?: string;
  decimals?: number;
  min?: number;
  max?: number;
  width?: number;
  height?: number;
  stack?: boolean;
  legend?: {
    show?: boolean;
    placement?: 'bottom' | 'right';
    calcs?: ('last' | 'lastNotNull' | 'mean' | 'max' | 'min' | 'sum' | 'count')[];
  };
  thresholds?: {
    value: number | null;
    color: string;
  }[];
  /**
   * An alert name whose levels become the panel's thresholds.
   */
  thresholdsFrom?: string;
  /**
   * Grafana panel JSON that Vigil does not model (options, fieldConfig, pluginVersion, gridPos…), merged over the panel Vigil builds as a JSON Merge Patch (RFC 7386): objects merge key by key, null removes a key, anything else replaces. Cannot set type, title, targets or id: those come from the fields above.
   */
  grafana?: {};
  /**
   * @minItems 1
   */
  queries: [
    {
      expr: string;
      legend?: string;
      instant?: boolean;
      interval?: string;
      /**
       * Grafana target JSON that Vigil does not model (format, hide, intervalFactor, exemplar…), merged over the target Vigil builds as a JSON Merge Patch (RFC 7386). Cannot set expr or refId.
       */
      grafana?: {};
    },
    ...{
      expr: string;
      legend?: string;
      instant?: boolean;
      interval?: string;
      /**
       * Grafana target JSON that Vigil does not model (format, hide, intervalFactor, exemplar…), merged over the target Vigil builds as a JSON Merge Patch (RFC 7386). Cannot set expr or refId.
       */
      grafana?: {};
    }[]
  ];
}

/**
 * Unit tests of alerts and recording rules: input series, evaluation times, expected alerts and values, and routing and inhibition expectations.
 */
export interface RuleTestsSpec {
  /**
   * Definition format version.
   */
  apiVersion: 'vigil/v1';
  kind: 'RuleTests';
  /**
   * @minItems 1
   */
  tests: [
    {
      name: string;
      /**
       * Step of the input series (default 1m).
       */
      interval?: string;
      /**
       * Input series: a series selector mapped to values in promtool's expanding notation ('1+1x10', '0 _ stale 5x3').
       */
      series?: {
        [k: string]: string;
      };
      expect?: {
        /**
         * A Prometheus duration such as 30s, 5m or 1h30m.
         */
        at: string;
        /**
         * Exactly the alerts firing at this time; [] means none.
         */
        alerts?: ExpectedAlert[];
        /**
         * Expected results of PromQL expressions (e.g. recording rules) at this time.
         */
        values?: {
          expr: string;
          samples: {
            labels?: string;
            value: number;
          }[];
        }[];
      }[];
      /**
       * Routing expectations: the receivers an alert level reaches, in Alertmanager's order.
       */
      routes?: {
        alert: string;
        level?: string;
        labels?: Labels1;
        receivers: string[];
      }[];
      /**
       * Inhibition expectations, checked against a real Alertmanager by `vigil test --live`.
       */
      inhibitions?: {
        source: AlertRef;
        target: AlertRef;
        inhibited: boolean;
      }[];
    },
    ...{
      name: string;
      /**
       * Step of the input series (default 1m).
       */
      interval?: string;
      /**
       * Input series: a series selector mapped to values in promtool's expanding notation ('1+1x10', '0 _ stale 5x3').
       */
      series?: {
        [k: string]: string;
      };
      expect?: {
        /**
         * A Prometheus duration such as 30s, 5m or 1h30m.
         */
        at: string;
        /**
         * Exactly the alerts firing at this time; [] means none.
         */
        alerts?: ExpectedAlert[];
        /**
         * Expected results of PromQL expressions (e.g. recording rules) at this time.
         */
        values?: {
          expr: string;
          samples: {
            labels?: string;
            value: number;
          }[];
        }[];
      }[];
      /**
       * Routing expectations: the receivers an alert level reaches, in Alertmanager's order.
       */
      routes?: {
        alert: string;
        level?: string;
        labels?: Labels1;
        receivers: string[];
      }[];
      /**
       * Inhibition expectations, checked against a real Alertmanager by `vigil test --live`.
       */
      inhibitions?: {
        source: AlertRef;
        target: AlertRef;
        inhibited: boolean;
      }[];
    }[]
  ];
}
export interface ExpectedAlert {
  /**
   * The alert name.
   */
  name: string;
  /**
   * The severity level; omitted for a single-level alert it is that alert's severity.
   */
  level?: string;
  labels?: Labels;
  annotations?: Annotations;
}
/**
 * Labels of the firing alert besides alertname and severity (the alert's static labels are added).
 */
export interface AlertRef {
  alert: string;
  level?: string;
  labels?: Labels1;
}

export type AlertmanagerPeer =
  | HttpUrl
  | {
      url: HttpUrl;
      /**
       * This peer's alertmanager.yml when peers do not share the path.
       */
      configFile?: string;
      /**
       * Where the deploy writes this peer's secret files ({ env } secrets of fields with a *_file variant), as the deploying machine reaches it. Defaults to alertmanager.secretsDir, else secrets/ beside this peer's configFile.
       */
      secretsDir?: string;
      reloadUrl?: HttpUrl;
    };
export type HttpUrl = string;

/**
 * Where one environment's Prometheus, Alertmanager and Grafana run, how Vigil's output reaches them, and what differs from the shared definitions.
 */
export interface EnvironmentSpec {
  /**
   * Definition format version.
   */
  apiVersion: 'vigil/v1';
  kind: 'Environment';
  name: string;
  /**
   * Every server that evaluates the rules; an HA pair is two.
   *
   * @minItems 1
   */
  prometheus: [PrometheusServer, ...PrometheusServer[]];
  alertmanager?: {
    /**
     * alertmanager.yml on every peer (templates go beside it).
     */
    configFile?: string;
    /**
     * Where the deploy writes the secret files of every peer ({ env } secrets of fields with a *_file variant), as the deploying machine reaches it. Defaults to secrets/ beside each peer's configFile.
     */
    secretsDir?: string;
    /**
     * The same directory as the Alertmanager servers see it, when the deploy reaches it through another path (a mount per host). Written into alertmanager.yml; defaults to the peers' secretsDir when they all name one directory.
     */
    serverSecretsDir?: string;
    /**
     * @minItems 1
     */
    peers: [AlertmanagerPeer, ...AlertmanagerPeer[]];
  };
  grafana?: {
    url: HttpUrl;
    /**
     * A reference to a secret: an environment variable or a file. Never the secret itself.
     */
    token?:
      | {
          env: string;
        }
      | {
          file: string;
        };
    /**
     * Overrides the project's Grafana folder in this environment.
     */
    folder?: string;
    /**
     * The Prometheus URL Grafana queries (a load balancer in front of an HA pair). Defaults to the first Prometheus replica's url.
     */
    datasourceUrl?: string;
  };
  influxdb?: {
    url: HttpUrl;
    database: string;
    /**
     * A Prometheus duration such as 30s, 5m or 1h30m.
     */
    retention?: string;
    username?: string;
    /**
     * A reference to a secret: an environment variable or a file. Never the secret itself.
     */
    password?:
      | {
          env: string;
        }
      | {
          file: string;
        };
  };
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  retention?: string;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  scrapeInterval?: string;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  evaluationInterval?: string;
  externalLabels?: Labels;
  relay?: RelaySettings;
  /**
   * Scrape targets per metric source of the catalogue (node_exporter, trainer, …).
   */
  scrape?: {
    [k: string]: ScrapeSource;
  };
  /**
   * Where jobs push their metrics: prometheus.yml gains a `pushgateway` scrape job with honor_labels: true, so pushed series keep the job and instance labels their pusher set.
   */
  pushgateway?: {
    /**
     * The Pushgateway that batch and training jobs push to, e.g. http://pushgateway:9091.
     */
    url: string;
    /**
     * A Prometheus duration such as 30s, 5m or 1h30m.
     */
    interval?: string;
    /**
     * Catalogue sources whose jobs push to this gateway instead of being scraped (batch and training jobs): env/scrape counts them as collected, and they push under job="<source>".
     *
     * @maxItems 1000
     */
    sources?: string[];
  };
  overrides?: {
    /**
     * By alert name: thresholds, for, enabled, labels, …
     */
    alerts?: {
      [k: string]: Override;
    };
    /**
     * By recorded name.
     */
    recordingRules?: {
      [k: string]: Override;
    };
    /**
     * By receiver name.
     */
    receivers?: {
      [k: string]: Override;
    };
    routes?: Override1;
    /**
     * By dashboard uid (YAML dashboards only).
     */
    dashboards?: {
      [k: string]: Override;
    };
  };
}
export interface PrometheusServer {
  /**
   * Replica name, used for the replica external label and file names. Defaults to prom-<index>.
   */
  name?: string;
  /**
   * The server's HTTP API, e.g. http://prom-a:9090.
   */
  url: string;
  /**
   * Directory Vigil writes the rule files to, as the deploying machine reaches it; Vigil owns the *.yml files it writes there.
   */
  rulesDir: string;
  /**
   * Where prometheus.yml is written for this replica, as the deploying machine reaches it. Omit when the configuration is managed elsewhere.
   */
  configFile?: string;
  /**
   * Defaults to <url>/-/reload (needs --web.enable-lifecycle).
   */
  reloadUrl?: string;
  /**
   * The same directory as the Prometheus server sees it, when the deploy reaches it through another path (a mount per host). Written into rule_files; defaults to rulesDir.
   */
  serverRulesDir?: string;
}
/**
 * Label names to values.
 */
export interface ScrapeSource {
  /**
   * host:port of each exporter.
   */
  targets?: string[];
  /**
   * file_sd files (globs allowed): dynamic targets written by other tools.
   */
  fileSd?: string[];
  metricsPath?: string;
  scheme?: 'http' | 'https';
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  interval?: string;
  /**
   * A Prometheus duration such as 30s, 5m or 1h30m.
   */
  timeout?: string;
  labels?: Labels;
  /**
   * Sent with every scrape as Authorization: Bearer (a /metrics behind a token, such as the Vigil relay's read token).
   */
  bearerToken?:
    | {
        env: string;
      }
    | {
        file: string;
      };
}
/**
 * A partial definition merged over the shared one: objects merge, lists and values replace, null removes.
 */
export interface Override {}
/**
 * A partial definition merged over the shared one: objects merge, lists and values replace, null removes.
 */
export interface Override1 {}

/**
 * Handlebars message templates for the channels the Vigil relay delivers (dingtalk, wecomRobot, sms through an HTTP gateway, email to escalation tiers), chosen per channel, receiver, severity and language. Rendered at build time against sample alerts of every rule that can reach them.
 */
export interface TemplatesSpec {
  /**
   * Definition format version.
   */
  apiVersion: 'vigil/v1';
  kind: 'Templates';
  /**
   * @minItems 1
   */
  templates: [
    {
      /**
       * Unique name, shown in build errors and in the relay's history.
       */
      name: string;
      /**
       * The relay channel the template writes for (email: the mails the relay sends escalation tiers; Alertmanager's own email uses vigil.tmpl).
       */
      channel: 'dingtalk' | 'wecomRobot' | 'sms' | 'email';
      /**
       * Only for these receivers (default: every receiver with the channel).
       *
       * @minItems 1
       */
      receivers?: [string, ...string[]];
      /**
       * Only for notices whose first alert has one of these severities (default: every severity).
       *
       * @minItems 1
       */
      severities?: [string, ...string[]];
      /**
       * Only when the relay runs in this language (relay.language); a template without one serves both.
       */
      language?: 'zh' | 'en';
      /**
       * The message title (DingTalk's chat-list title, the email subject). dingtalk and email only; the built-in title when absent.
       */
      title?: string;
      /**
       * The message: DingTalk or WeCom markdown, the SMS text, or the email's HTML body.
       */
      body: string;
    },
    ...{
      /**
       * Unique name, shown in build errors and in the relay's history.
       */
      name: string;
      /**
       * The relay channel the template writes for (email: the mails the relay sends escalation tiers; Alertmanager's own email uses vigil.tmpl).
       */
      channel: 'dingtalk' | 'wecomRobot' | 'sms' | 'email';
      /**
       * Only for these receivers (default: every receiver with the channel).
       *
       * @minItems 1
       */
      receivers?: [string, ...string[]];
      /**
       * Only for notices whose first alert has one of these severities (default: every severity).
       *
       * @minItems 1
       */
      severities?: [string, ...string[]];
      /**
       * Only when the relay runs in this language (relay.language); a template without one serves both.
       */
      language?: 'zh' | 'en';
      /**
       * The message title (DingTalk's chat-list title, the email subject). dingtalk and email only; the built-in title when absent.
       */
      title?: string;
      /**
       * The message: DingTalk or WeCom markdown, the SMS text, or the email's HTML body.
       */
      body: string;
    }[]
  ];
}

/**
 * Planned maintenance as code: Alertmanager silences that `vigil deploy` creates, updates and expires through Alertmanager's API v2. Vigil touches only the silences it created (their comment starts with `[vigil <project>/<name>]`), never one a person made in the UI.
 */
export interface SilencesSpec {
  /**
   * Definition format version.
   */
  apiVersion: 'vigil/v1';
  kind: 'Silences';
  /**
   * @maxItems 1000
   */
  silences: {
    /**
     * Unique in the project: identifies the silence across deploys (in its comment's `[vigil <project>/<name>]` marker).
     */
    name: string;
    /**
     * Alertmanager matchers, as in Routes: an alert is muted when every one matches.
     *
     * @minItems 1
     * @maxItems 64
     *
     * Items: An Alertmanager matcher such as severity="critical", team=~"ml|infra" or service!="test".
     */
    matchers: [string, ...string[]];
    /**
     * RFC 3339 with a zone, e.g. 2026-12-05T01:00:00Z.
     */
    startsAt: string;
    /**
     * RFC 3339 with a zone; or give `duration` instead.
     */
    endsAt?: string;
    /**
     * How long from startsAt (4h, 2d); or give `endsAt` instead.
     */
    duration?: string;
    /**
     * Who asked for the silence (shown in Alertmanager's UI).
     */
    createdBy: string;
    /**
     * Why: a ticket link and a few words (shown in Alertmanager's UI after Vigil's marker).
     */
    comment: string;
    /**
     * Only in these Environments (default: every Environment).
     *
     * @minItems 1
     */
    environments?: [string, ...string[]];
  }[];
}
