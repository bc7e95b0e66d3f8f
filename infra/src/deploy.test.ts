/**
 * infra/deploy: the kustomize overlays render (kubectl kustomize) into objects that are valid against the
 * Kubernetes schemas (kubernetes-models), have the shape production relies on, and the Prometheus rules pass
 * `promtool check rules` and their unit tests.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseAllDocuments } from 'yaml'

const run = promisify(execFile)
const DEPLOY = path.resolve(import.meta.dirname, '../deploy')

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are checked against the schemas, not typed
type K8sObject = {
  apiVersion: string
  kind: string
  metadata: { name: string; labels?: Record<string, string> }
  spec?: any
  data?: Record<string, string>
}

async function render(overlay: string): Promise<K8sObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', path.join(DEPLOY, 'k8s/overlays', overlay)], {
    maxBuffer: 16 * 1024 * 1024,
  })
  return parseAllDocuments(stdout).map((d) => d.toJSON() as K8sObject)
}

/** Validates one object against its kind's schema; throws with the schema's complaint. */
async function validate(obj: K8sObject): Promise<void> {
  // core kinds live under kubernetes-models/v1, the others under their group/version
  const mod = (await import(`kubernetes-models/${obj.apiVersion}/${obj.kind}`)) as Record<
    string,
    new (
      o: unknown,
    ) => { validate(): void }
  >
  const Model = mod[obj.kind]
  if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`)
  new Model(obj).validate()
}

const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind)
const named = (objs: K8sObject[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name)
  if (!o) throw new Error(`no ${kind} ${name}`)
  return o
}
const envOf = (d: K8sObject) =>
  Object.fromEntries(
    (d.spec.template.spec.containers[0].env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]),
  )

for (const overlay of ['production', 'canary']) {
  test(`${overlay}: every rendered object is valid against the Kubernetes schemas`, async () => {
    const objs = await render(overlay)
    assert.ok(objs.length >= 4)
    for (const o of objs) {
      try {
        await validate(o)
      } catch (err) {
        assert.unreachable(`${o.kind} ${o.metadata.name}: ${(err as Error).message}`)
      }
    }
    // no secret is rendered from git: pods read the Secret the operator creates from the template
    assert.is(byKind(objs, 'Secret').length, 0)
    for (const d of [...byKind(objs, 'Deployment'), ...byKind(objs, 'StatefulSet')]) {
      const c = d.spec.template.spec.containers[0]
      assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${d.metadata.name} requests`)
      assert.ok(c.resources?.limits?.memory, `${d.metadata.name} memory limit`)
      assert.match(c.readinessProbe.httpGet.path, /^\/healthz/, `${d.metadata.name} readiness`)
      assert.match(c.livenessProbe.httpGet.path, /^\/healthz/, `${d.metadata.name} liveness`)
      assert.is(d.spec.updateStrategy?.type ?? d.spec.strategy?.type, 'RollingUpdate')
      if (d.kind === 'Deployment')
        assert.equal(c.envFrom.map((e: { secretRef?: { name: string } }) => e.secretRef?.name).filter(Boolean), [
          'cutroom-secrets',
        ])
    }
  })
}

test('production: autoscaled api and collab, CPU and GPU worker pools, a 3-node JetStream cluster, budgets for all', async () => {
  const objs = await render('production')
  for (const name of ['api', 'collab', 'workers-cpu']) {
    const hpa = named(objs, 'HorizontalPodAutoscaler', name)
    assert.is(hpa.spec.scaleTargetRef.name, name)
    assert.ok(hpa.spec.minReplicas >= 2)
  }
  // collab scales without sticky sessions: Redis carries documents between instances
  assert.is(named(objs, 'Service', 'collab').spec.sessionAffinity, 'None')
  const gpu = named(objs, 'Deployment', 'workers-gpu')
  const gpuPod = gpu.spec.template.spec
  assert.is(gpuPod.containers[0].resources.limits['nvidia.com/gpu'], '1')
  assert.is(gpuPod.nodeSelector['cutroom.dev/pool'], 'gpu')
  assert.ok(
    gpuPod.tolerations.some(
      (t: { key: string; effect: string }) => t.key === 'nvidia.com/gpu' && t.effect === 'NoSchedule',
    ),
  )
  const cpu = named(objs, 'Deployment', 'workers-cpu')
  assert.is(cpu.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'], undefined)
  const gpuKinds = envOf(gpu).WORKER_KINDS.split(',')
  const cpuKinds = envOf(cpu).WORKER_KINDS.split(',')
  assert.ok(gpuKinds.includes('framediff'))
  assert.equal(
    gpuKinds.filter((k: string) => cpuKinds.includes(k)),
    [],
    'each kind has one pool',
  )
  const nats = named(objs, 'StatefulSet', 'nats')
  assert.is(nats.spec.replicas, 3)
  const natsConf = named(objs, 'ConfigMap', 'nats-config').data!['nats.conf']!
  assert.match(natsConf, /jetstream/)
  assert.is(natsConf.match(/nats:\/\/nats-\d\.nats:6222/g)?.length, 3)
  const config = named(objs, 'ConfigMap', 'cutroom-config').data!
  assert.is(config.NATS_STREAM_REPLICAS, '3')
  assert.is(config.NATS_URL!.split(',').length, 3)
  // every workload has a disruption budget selecting exactly its pods
  const budgets = byKind(objs, 'PodDisruptionBudget')
  for (const w of [...byKind(objs, 'Deployment'), ...byKind(objs, 'StatefulSet')]) {
    const labels = w.spec.template.metadata.labels
    const pdb = budgets.find(
      (b) =>
        Object.entries(b.spec.selector.matchLabels).every(([k, v]) => labels[k] === v) &&
        b.metadata.name === w.metadata.name,
    )
    assert.ok(pdb, `a budget for ${w.metadata.name}`)
  }
})

test('canary: one pod each of api, collab and CPU workers on the candidate image, behind production Services', async () => {
  const objs = await render('canary')
  const prod = await render('production')
  assert.equal(
    byKind(objs, 'Deployment')
      .map((d) => d.metadata.name)
      .sort(),
    ['api-canary', 'collab-canary', 'workers-cpu-canary'],
  )
  assert.equal(byKind(objs, 'Service'), [])
  assert.equal(byKind(objs, 'StatefulSet'), [])
  for (const d of byKind(objs, 'Deployment')) {
    assert.is(d.spec.replicas, 1)
    assert.match(d.spec.template.spec.containers[0].image, /:1\.1\.0-rc\.1$/)
    assert.is(d.spec.selector.matchLabels['cutroom.dev/track'], 'canary')
    const stable = named(prod, 'Deployment', d.metadata.name.replace(/-canary$/, ''))
    assert.is(stable.spec.selector.matchLabels['cutroom.dev/track'], 'stable')
    // the production Service selects canary pods too
    const svc = prod.find((s) => s.kind === 'Service' && s.metadata.name === stable.metadata.name)
    if (svc) assert.ok(Object.entries(svc.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v))
  }
})

test('a malformed manifest fails: a wrong type is caught by the schema, a broken kustomization by kubectl', async () => {
  const [api] = (await render('production')).filter((o) => o.kind === 'Deployment')
  const broken = structuredClone(api!)
  broken.spec.replicas = 'two'
  const err = await validate(broken).then(
    () => null,
    (e: Error) => e,
  )
  assert.match(String(err), /replicas must be integer/)
  const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-kustomize-'))
  try {
    writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources:\n  - missing.yaml\n')
    const failed = await run('kubectl', ['kustomize', dir]).then(
      () => null,
      (e: Error) => e,
    )
    assert.ok(failed, 'kubectl kustomize refused the broken kustomization')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('secrets are templates: the template names every secret variable and holds no value', () => {
  const template = readFileSync(path.join(DEPLOY, 'k8s/secrets.template.env'), 'utf8')
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'])
    assert.match(template, new RegExp(`^${name}=`, 'm'))
  for (const line of template.split('\n').filter((l) => /^(S3_ACCESS_KEY_ID|S3_SECRET_ACCESS_KEY)=/.test(l)))
    assert.match(line, /=CHANGE_ME$/)
  assert.not.match(template, /:\/\/[^:\s]+:(?!CHANGE_ME@)[^@\s]+@/, 'no password in a URL')
})

test('Prometheus rules pass promtool check and their unit tests; a broken rule fails', async () => {
  const rules = path.join(DEPLOY, 'prometheus')
  const checked = await run('promtool', ['check', 'rules', path.join(rules, 'alerts.yml')])
  assert.match(checked.stdout, /SUCCESS: \d+ rules found/)
  const tested = await run('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: rules })
  assert.match(tested.stdout, /SUCCESS/)
  const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-rules-'))
  try {
    const bad = readFileSync(path.join(rules, 'alerts.yml'), 'utf8').replace('> 0.01', '> > 0.01')
    writeFileSync(path.join(dir, 'alerts.yml'), bad)
    const failed = await run('promtool', ['check', 'rules', path.join(dir, 'alerts.yml')]).then(
      () => null,
      (e: Error) => e,
    )
    assert.ok(failed, 'promtool refused the broken rule')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
