/**
 * The deployment files hold together without a Docker engine or a cluster: the compose stack, the
 * Kubernetes manifests (validated against the Kubernetes and Prometheus Operator JSON schemas shipped
 * by kubernetes-models, offline), the Dockerfile and the systemd unit use our real commands, ports,
 * health paths and setting names (src/config/settings.ts).
 */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../../src/config/index.ts';
import { parseDurationMs } from '../../../src/shared/index.ts';
import {
  list,
  readText,
  readYaml,
  readYamlDocuments,
  record,
  repoPath,
  str,
} from '../../support/ops/files.ts';

const SETTING_NAMES: ReadonlySet<string> = new Set(Object.values(SETTINGS).map((setting) => setting.env));
const METRICS_PORT = Number(SETTINGS.httpPort.default);
const WEBHOOK_PORT = Number(SETTINGS.webhookPort.default);

/** Names of an environment given as a map or as a list of NAME=value strings. */
function envNames(environment: unknown): string[] {
  if (Array.isArray(environment)) {
    return list(environment).map((entry) => (str(entry) ?? '').split('=')[0] ?? '');
  }
  return Object.keys(record(environment));
}

describe('docker compose', () => {
  const compose = record(readYaml('deploy/docker-compose.yml'));
  const services = record(compose['services']);
  const service = (name: string): Record<string, unknown> => record(services[name]);
  const keywardenServices = ['migrate', 'keywarden'];

  it('runs postgres, a one-shot migrate, keywarden, prometheus and grafana, each from an image', () => {
    expect(Object.keys(services).sort()).toEqual([
      'grafana',
      'keywarden',
      'migrate',
      'postgres',
      'prometheus',
    ]);
    for (const [name, definition] of Object.entries(services)) {
      expect(str(record(definition)['image']), name).toMatch(/^[\w./-]+:[\w.-]+$/);
    }
  });

  it('builds keywarden from deploy/Dockerfile and runs `migrate` once before `run`', () => {
    for (const name of keywardenServices) {
      const build = record(service(name)['build']);
      expect(
        existsSync(resolve(repoPath('deploy'), str(build['context']) ?? '', str(build['dockerfile']) ?? '')),
        name,
      ).toBe(true);
    }
    expect(service('migrate')['command']).toEqual(['migrate']);
    expect(service('migrate')['restart']).toBe('no');
    expect(record(record(service('migrate')['depends_on'])['postgres'])['condition']).toBe('service_healthy');
    expect(service('postgres')['healthcheck']).toBeDefined();
    expect(service('keywarden')['command']).toEqual(['run']);
    expect(record(record(service('keywarden')['depends_on'])['migrate'])['condition']).toBe(
      'service_completed_successfully',
    );
  });

  it('gives keywarden only settings that exist, with a database URL pointing at the postgres service', () => {
    for (const name of keywardenServices) {
      const environment = record(service(name)['environment']);
      expect(
        envNames(environment).filter((env) => !SETTING_NAMES.has(env)),
        name,
      ).toEqual([]);
      expect(str(environment['DATABASE_URL']), name).toMatch(
        /^postgres:\/\/keywarden:.*@postgres:5432\/keywarden$/,
      );
    }
    const environment = record(service('keywarden')['environment']);
    expect(environment['KEYWARDEN_HTTP_PORT']).toBe(String(METRICS_PORT));
    expect(environment['KEYWARDEN_WEBHOOK_PORT']).toBe(String(WEBHOOK_PORT));
    expect(list(service('keywarden')['ports'])).toEqual(
      expect.arrayContaining([
        `${WEBHOOK_PORT}:${WEBHOOK_PORT}`,
        `127.0.0.1:${METRICS_PORT}:${METRICS_PORT}`,
      ]),
    );
  });

  it('mounts files that exist and declares its named volumes', () => {
    const named = new Set(Object.keys(record(compose['volumes'])));
    for (const [name, definition] of Object.entries(services)) {
      for (const volume of list(record(definition)['volumes'])) {
        const source = (str(volume) ?? '').split(':')[0] ?? '';
        if (source.startsWith('.')) {
          expect(existsSync(resolve(repoPath('deploy'), source)), `${name}: ${source}`).toBe(true);
        } else {
          expect(named.has(source), `${name}: volume ${source}`).toBe(true);
        }
      }
    }
  });

  it('has Prometheus scrape keywarden on its metrics port and load the alert rules', () => {
    const prometheus = record(readYaml('deploy/prometheus/prometheus.yml'));
    const jobs = list(prometheus['scrape_configs']).map(record);
    const job = jobs.find((candidate) => candidate['job_name'] === 'keywarden');
    const targets = list(job?.['static_configs']).flatMap((config) => list(record(config)['targets']));
    expect(targets).toEqual([`keywarden:${METRICS_PORT}`]);
    expect(prometheus['rule_files']).toEqual(['alerts.yml']);
    expect(list(service('prometheus')['volumes'])).toEqual(
      expect.arrayContaining([
        './prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        './prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro',
      ]),
    );
    expect(list(service('prometheus')['command'])).toContain('--config.file=/etc/prometheus/prometheus.yml');
  });

  it('provisions Grafana with the Prometheus service and the mounted dashboards', () => {
    const datasources = list(
      record(readYaml('grafana/provisioning/datasources/prometheus.yml'))['datasources'],
    );
    expect(datasources.map((datasource) => record(datasource)['url'])).toEqual(['http://prometheus:9090']);
    expect(datasources.map((datasource) => record(datasource)['type'])).toEqual(['prometheus']);
    const providers = list(record(readYaml('grafana/provisioning/dashboards/keywarden.yml'))['providers']);
    const paths = providers.map((provider) => record(record(provider)['options'])['path']);
    const volumes = list(service('grafana')['volumes']).map((volume) => str(volume) ?? '');
    expect(volumes).toContain(`../grafana/dashboards:${String(paths[0])}:ro`);
    expect(volumes).toContain('../grafana/provisioning:/etc/grafana/provisioning:ro');
  });
});

describe('kubernetes manifests', () => {
  const directory = 'deploy/kubernetes';
  const files = readdirSync(repoPath(directory)).filter((file) => /\.ya?ml$/.test(file));
  const objects = files
    .filter((file) => file !== 'kustomization.yaml')
    .flatMap((file) => readYamlDocuments(`${directory}/${file}`).map((document) => ({ file, document })));
  const byKind = (kind: string): Record<string, unknown>[] =>
    objects
      .filter(({ document }) => record(document)['kind'] === kind)
      .map(({ document }) => record(document));

  /** Validates one object against its JSON schema; returns its kind, or throws. */
  function validate(document: unknown): string {
    if (Deployment.is(document)) {
      new Deployment(document).validate();
    } else if (Service.is(document)) {
      new Service(document).validate();
    } else if (ConfigMap.is(document)) {
      new ConfigMap(document).validate();
    } else if (Secret.is(document)) {
      new Secret(document).validate();
    } else if (Namespace.is(document)) {
      new Namespace(document).validate();
    } else if (PodDisruptionBudget.is(document)) {
      new PodDisruptionBudget(document).validate();
    } else if (PodMonitor.is(document)) {
      new PodMonitor(document).validate();
    } else {
      throw new Error(`no schema for ${JSON.stringify(record(document)['kind'])}: add it to this test`);
    }
    return str(record(document)['kind']) ?? '';
  }

  const deployment = byKind('Deployment')[0] ?? {};
  const template = record(record(deployment['spec'])['template']);
  const podSpec = record(template['spec']);
  const podLabels = record(record(template['metadata'])['labels']);
  const containers = list(podSpec['containers']).map(record);
  const initContainers = list(podSpec['initContainers']).map(record);
  const main = containers[0] ?? {};

  it('are valid against the Kubernetes and Prometheus Operator schemas', () => {
    expect(objects.map(({ document }) => validate(document)).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Namespace',
      'PodDisruptionBudget',
      'PodMonitor',
      'Secret',
      'Service',
    ]);
  });

  it('schema validation rejects a malformed Deployment', () => {
    const broken = structuredClone(deployment);
    record(broken['spec'])['replicas'] = 'two';
    expect(() => validate(broken)).toThrow(/replicas/);
  });

  it('name every object, in the keywarden namespace', () => {
    for (const { file, document } of objects) {
      const metadata = record(record(document)['metadata']);
      expect(str(record(document)['apiVersion']), file).toBeDefined();
      expect(str(metadata['name']), file).toMatch(/^[a-z0-9-]+$/);
      if (record(document)['kind'] !== 'Namespace') {
        expect(metadata['namespace'], file).toBe('keywarden');
      }
    }
  });

  it('list every manifest but the secret example in the kustomization', () => {
    const kustomization = record(readYaml(`${directory}/kustomization.yaml`));
    expect(list(kustomization['resources']).sort()).toEqual(
      files.filter((file) => file !== 'kustomization.yaml' && file !== 'secret.example.yaml').sort(),
    );
  });

  it('run two replicas of `keywarden run` after a `migrate` init container', () => {
    expect(record(deployment['spec'])['replicas']).toBe(2);
    expect(main['args']).toEqual(['run']);
    expect(initContainers.map((container) => container['args'])).toEqual([['migrate']]);
    for (const container of [...containers, ...initContainers]) {
      expect(str(container['image'])).toMatch(/^keywarden:/);
    }
  });

  it('probe /readyz and /healthz on the metrics port, which Prometheus scrapes', () => {
    const ports = list(main['ports']).map(record);
    const metrics = ports.find((port) => port['name'] === 'metrics');
    expect(metrics?.['containerPort']).toBe(METRICS_PORT);
    expect(ports.find((port) => port['name'] === 'webhooks')?.['containerPort']).toBe(WEBHOOK_PORT);
    expect(record(record(main['readinessProbe'])['httpGet'])).toEqual({ path: '/readyz', port: 'metrics' });
    expect(record(record(main['livenessProbe'])['httpGet'])).toEqual({ path: '/healthz', port: 'metrics' });
    expect(record(record(template['metadata'])['annotations'])).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(METRICS_PORT),
      'prometheus.io/path': '/metrics',
    });
    const monitor = byKind('PodMonitor')[0] ?? {};
    const monitorSpec = record(monitor['spec']);
    expect(list(monitorSpec['podMetricsEndpoints']).map((endpoint) => record(endpoint)['port'])).toEqual([
      'metrics',
    ]);
    expect(record(record(monitorSpec['selector'])['matchLabels'])).toEqual(podLabels);
  });

  it('select the pods from the Service and the PodDisruptionBudget by their labels and named ports', () => {
    const service = record(byKind('Service')[0]?.['spec']);
    expect(record(service['selector'])).toEqual(podLabels);
    const portNames = list(main['ports']).map((port) => record(port)['name']);
    for (const port of list(service['ports'])) {
      expect(portNames).toContain(record(port)['targetPort']);
    }
    const budget = record(byKind('PodDisruptionBudget')[0]?.['spec']);
    expect(record(record(budget['selector'])['matchLabels'])).toEqual(podLabels);
    expect(budget['minAvailable']).toBe(1);
  });

  it('run as non-root on a read-only root filesystem without privileges', () => {
    const pod = record(podSpec['securityContext']);
    expect(pod['runAsNonRoot']).toBe(true);
    expect(pod['runAsUser']).not.toBe(0);
    for (const container of [...containers, ...initContainers]) {
      const security = record(container['securityContext']);
      expect(security['readOnlyRootFilesystem']).toBe(true);
      expect(security['allowPrivilegeEscalation']).toBe(false);
      expect(record(security['capabilities'])['drop']).toEqual(['ALL']);
    }
  });

  it('configure keywarden only with settings that exist, secrets in the Secret', () => {
    const configMap = byKind('ConfigMap')[0] ?? {};
    const secret = byKind('Secret')[0] ?? {};
    const configKeys = Object.keys(record(configMap['data']));
    const secretKeys = Object.keys(record(secret['stringData']));
    expect([...configKeys, ...secretKeys].filter((env) => !SETTING_NAMES.has(env))).toEqual([]);
    expect(secretKeys).toEqual(expect.arrayContaining(['DATABASE_URL', 'TELEGRAM_BOT_TOKEN']));
    const secretSettings: ReadonlySet<string> = new Set(
      Object.values(SETTINGS)
        .filter((setting) => 'secret' in setting && setting.secret)
        .map((setting) => setting.env),
    );
    expect(configKeys.filter((env) => secretSettings.has(env))).toEqual([]);
    const config = record(configMap['data']);
    expect(config['KEYWARDEN_HTTP_PORT']).toBe(String(METRICS_PORT));
    expect(config['KEYWARDEN_WEBHOOK_PORT']).toBe(String(WEBHOOK_PORT));
    const shutdownMs = parseDurationMs(str(config['KEYWARDEN_SHUTDOWN_TIMEOUT']) ?? '') ?? Infinity;
    expect(Number(podSpec['terminationGracePeriodSeconds']) * 1000).toBeGreaterThan(shutdownMs);
    for (const container of [...containers, ...initContainers]) {
      const sources = list(container['envFrom']).map(record);
      expect(
        sources.map(
          (source) => record(source['configMapRef'])['name'] ?? record(source['secretRef'])['name'],
        ),
      ).toEqual([record(configMap['metadata'])['name'], record(secret['metadata'])['name']]);
      expect(envNames(container['env']).filter((env) => !SETTING_NAMES.has(env))).toEqual([]);
    }
  });
});

/**
 * The V8 flag every start path of the daemon passes (docs/deploy.md, "Memory"): without it the young
 * generation grows to 128 MiB during a full pass over 100,000 keys.
 */
const DAEMON_NODE_FLAG = '--max-semi-space-size=8';

describe('the start paths of the daemon', () => {
  it('all cap the young generation with the same flag', () => {
    const pkg = JSON.parse(readText('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start']).toContain(`node ${DAEMON_NODE_FLAG} `);
    expect(pkg.scripts['dev']).toContain(`node ${DAEMON_NODE_FLAG} `);
    expect(readText('scripts/keywarden')).toContain(`exec node ${DAEMON_NODE_FLAG} `);
    expect(readText('docs/deploy.md')).toContain(DAEMON_NODE_FLAG);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readText('deploy/Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  const lastStage = instructions.slice(instructions.findLastIndex((line) => line.startsWith('FROM ')));
  const jsonArgument = (instruction: string): unknown => {
    const line = lastStage.find((candidate) => candidate.startsWith(`${instruction} `)) ?? '';
    return JSON.parse(line.slice(instruction.length + 1)) as unknown;
  };

  it('builds on node:24-slim in two stages', () => {
    expect(instructions).toContain('ARG NODE_IMAGE=node:24-slim');
    expect(instructions.filter((line) => line.startsWith('FROM ${NODE_IMAGE} AS '))).toHaveLength(2);
    expect(instructions).toContain('RUN npm run build');
  });

  it('installs only production dependencies, without the embedded PostgreSQL, in the runtime stage', () => {
    expect(lastStage.some((line) => /^RUN npm ci --omit=dev --omit=optional\b/.test(line))).toBe(true);
    expect(lastStage).toContain('COPY --from=build /src/dist ./dist');
  });

  it('runs `keywarden run` as a non-root user with a health check on /healthz', () => {
    expect(jsonArgument('ENTRYPOINT')).toEqual(['node', DAEMON_NODE_FLAG, '/app/bin/keywarden.js']);
    expect(jsonArgument('CMD')).toEqual(['run']);
    const user = lastStage.find((line) => line.startsWith('USER ')) ?? '';
    expect(user).toMatch(/^USER [1-9]\d*:[1-9]\d*$/);
    const healthcheck = lastStage.find((line) => line.startsWith('HEALTHCHECK ')) ?? '';
    expect(healthcheck).toContain('/healthz');
    expect(healthcheck).toContain(String(METRICS_PORT));
    expect(healthcheck).toContain(SETTINGS.httpPort.env);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const allowed = readText('.dockerignore')
      .split('\n')
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1));
    const sources = instructions
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(4);
    for (const source of sources) {
      expect(existsSync(repoPath(source)), source).toBe(true);
      expect(allowed, source).toContain(source);
    }
  });
});

describe('systemd unit', () => {
  const unit = readText('deploy/systemd/keywarden.service');
  const directives = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const match = /^(\w+)=(.*)$/.exec(line);
    if (match?.[1] !== undefined) {
      directives.set(match[1], [...(directives.get(match[1]) ?? []), match[2] ?? '']);
    }
  }
  const one = (key: string): string | undefined => directives.get(key)?.[0];

  it('migrates, then runs the daemon from the environment file, restarting on failure', () => {
    expect(one('ExecStartPre')).toMatch(/\/bin\/keywarden\.js migrate$/);
    expect(one('ExecStart')).toMatch(/\/bin\/keywarden\.js run$/);
    expect(one('ExecStart')).toContain(` ${DAEMON_NODE_FLAG} `);
    expect(one('EnvironmentFile')).toBe('/etc/keywarden/env');
    expect(one('Restart')).toBe('on-failure');
    expect(unit).toMatch(/^\[Unit\]$/m);
    expect(unit).toMatch(/^\[Install\]$/m);
  });

  it('is hardened: no root, no privileges, read-only system', () => {
    expect(one('DynamicUser') === 'yes' || (one('User') ?? 'root') !== 'root').toBe(true);
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('CapabilityBoundingSet')).toBe('');
    const timeoutMs = parseDurationMs(one('TimeoutStopSec') ?? '') ?? 0;
    expect(timeoutMs).toBeGreaterThan(parseDurationMs(SETTINGS.shutdownTimeoutMs.default) ?? Infinity);
  });
});
