import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cidrContains, classifyKey, parseCidr, parseConstraint, parseConstraints, parseIp } from './constraint.js';
import { validateConstraint, validateSpreadDescriptor, validateTaskPlacement } from './placement.js';
import { TaskSpecSchema } from './objects.js';
import { ServiceSpecInput, formatZodError } from './schemas.js';

describe('parseConstraint', () => {
  it.each([
    ['node.role==manager', { key: 'node.role', op: '==', value: 'manager' }],
    ['  node.labels.zone  !=  eu-1 ', { key: 'node.labels.zone', op: '!=', value: 'eu-1' }],
    ['engine.labels.Disk==ssd', { key: 'engine.labels.Disk', op: '==', value: 'ssd' }],
    ['node.ip==10.0.0.0/8', { key: 'node.ip', op: '==', value: '10.0.0.0/8' }],
    // `==` is looked for first and splits once: the value keeps a later `!=`-free remainder.
    ['node.hostname==a b', { key: 'node.hostname', op: '==', value: 'a b' }],
  ])('%s', (s, want) => {
    expect(parseConstraint(s)).toEqual({ ok: true, value: want });
  });

  it.each([
    ['node.role', 'constraint expected one operator from ==, !=', 10],
    ['node.labels.zone=~eu', 'constraint expected one operator from ==, !=', 17],
    ['node.role=manager', 'constraint expected one operator from ==, !=', 10],
    ['==x', "key '' is invalid: at least 2 characters expected", 1],
    ['1node==x', "key '1node' is invalid", 1],
    ['node.la$bels==x', "key 'node.la$bels' is invalid", 8],
    ['node.role==', "value '' is invalid: a value is required", 12],
    ['node.role==a=b', "value 'a=b' is invalid", 13],
    ['node.role== <x>', "value '<x>' is invalid", 13],
  ])('%s → %s at %i', (s, message, position) => {
    expect(parseConstraint(s)).toEqual({ ok: false, error: { message, position } });
  });

  it('reports the index of the first bad constraint', () => {
    expect(parseConstraints(['node.role==worker', 'oops'])).toMatchObject({ ok: false, error: { index: 1 } });
  });

  it('fuzz: never throws; errors point inside the string (or just past it)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.stringMatching(/^[a-z.=!<> \t]{0,30}$/)), (s) => {
        const r = parseConstraint(s);
        if (!r.ok) {
          expect(r.error.position).toBeGreaterThanOrEqual(1);
          expect(r.error.position).toBeLessThanOrEqual(s.length + 1);
        } else {
          expect(s).toContain(r.value.op);
        }
        validateConstraint(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('fuzz: well-formed constraints parse back to their parts', () => {
    const key = fc.stringMatching(/^[a-z_][a-z0-9_.-]{1,20}$/);
    const value = fc.stringMatching(/^[a-z0-9:_.*()?+|/-][a-z0-9:_.*()?+|/ -]{0,20}[a-z0-9]$/);
    fc.assert(
      fc.property(key, fc.constantFrom('==', '!='), value, (k, op, v) => {
        expect(parseConstraint(`${k} ${op} ${v}`)).toEqual({ ok: true, value: { key: k, op, value: v } });
      }),
    );
  });
});

describe('keys and addresses', () => {
  it.each([
    ['NODE.ROLE', { kind: 'node.role' }],
    ['node.Labels.Zone', { kind: 'node.labels', label: 'Zone' }],
    ['engine.labels.x', { kind: 'engine.labels', label: 'x' }],
    ['node.labels.', null],
    ['node.name', null],
  ])('classifyKey(%s)', (k, want) => expect(classifyKey(k)).toEqual(want));

  it('parses IPv4, IPv6 and CIDRs', () => {
    expect(parseIp('10.1.2.3')?.slice(12)).toEqual([10, 1, 2, 3]);
    expect(parseIp('::1')).toEqual([...new Array(15).fill(0), 1]);
    expect(parseIp('::ffff:10.1.2.3')).toEqual(parseIp('10.1.2.3'));
    for (const bad of ['10.1.2', '256.1.1.1', '1::2::3', 'x', '', '1:2:3:4:5:6:7:8:9']) expect(parseIp(bad)).toBeNull();
    const net = parseCidr('10.0.0.0/8')!;
    expect(cidrContains(net, parseIp('10.200.0.1')!)).toBe(true);
    expect(cidrContains(net, parseIp('11.0.0.1')!)).toBe(false);
    expect(cidrContains(parseCidr('fd00::/8')!, parseIp('fd12::1')!)).toBe(true);
    expect(parseCidr('10.0.0.0/33')).toBeNull();
  });
});

describe('placement validation at create/update', () => {
  const spec = (task: object) => ({ annotations: { name: 'web' }, mode: { kind: 'replicated', replicas: 1 }, task: { container: { image: 'nginx' }, ...task } });
  const errorOf = (task: object) => {
    const r = ServiceSpecInput.safeParse(spec(task));
    return r.success ? null : formatZodError(r.error);
  };

  it('accepts good placement', () => {
    expect(errorOf({ placement: { constraints: ['node.labels.zone==eu', 'node.ip!=10.0.0.0/8', 'node.role==Manager'], preferences: [{ spread: 'node.labels.zone' }], maxReplicas: 2 } })).toBeNull();
    expect(errorOf({ resources: { reservations: { nanoCpus: 5e8, memoryBytes: 64 * 2 ** 20, generic: { gpu: 2 } } } })).toBeNull();
  });

  it.each([
    [{ placement: { constraints: ['node.role==worker', 'node.labels.zone=eu'] } }, 'task.placement.constraints[1]: constraint expected one operator from ==, != at position 17 of "node.labels.zone=eu"'],
    [{ placement: { constraints: ['node.colour==red'] } }, "task.placement.constraints[0]: unknown constraint key 'node.colour'"],
    [{ placement: { constraints: ['node.ip==10.0.0.0/40'] } }, "task.placement.constraints[0]: value '10.0.0.0/40' of node.ip is neither an IP address nor a CIDR"],
    [{ placement: { constraints: ['node.role==boss'] } }, "task.placement.constraints[0]: value 'boss' of node.role must be manager or worker"],
    [{ placement: { preferences: [{ spread: 'node.zone' }] } }, "task.placement.preferences[0].spread: invalid spread descriptor 'node.zone'"],
    [{ placement: { maxReplicas: -1 } }, 'task.placement.maxReplicas:'],
    [{ resources: { reservations: { nanoCpus: -1 } } }, 'task.resources.reservations.nanoCpus:'],
    [{ resources: { reservations: { nanoCpus: 1e20 } } }, 'task.resources.reservations.nanoCpus: invalid cpu value: 100000000000 CPUs is more than any node has'],
    [{ resources: { reservations: { memoryBytes: 2 ** 62 } } }, 'task.resources.reservations.memoryBytes: invalid memory value'],
    [{ resources: { reservations: { generic: { gpu: 1e9 } } } }, 'task.resources.reservations.generic.gpu: invalid generic resource value'],
    [{ resources: { reservations: { generic: { 'g p u': 1 } } } }, "invalid generic resource name 'g p u'"],
    [{ resources: { reservations: { memoryBytes: 2 ** 30 }, limits: { memoryBytes: 2 ** 29 } } }, 'memory reservation must not exceed the memory limit'],
  ])('%j → %s', (task, message) => {
    expect(errorOf(task)).toContain(message);
  });

  it('spread descriptors and direct validators', () => {
    expect(validateSpreadDescriptor('ENGINE.labels.rack')).toBeNull();
    expect(validateSpreadDescriptor('engine.labels.')).not.toBeNull();
    expect(validateConstraint('node.id==abc')).toBeNull();
    expect(validateTaskPlacement(TaskSpecSchema.parse({ container: { image: 'x' } }))).toEqual([]);
  });
});
