import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InvalidArgumentError,
  JobBuildError,
  NO_VALUE_KEY,
  ParameterTool,
  RichMapFunction,
  StreamExecutionEnvironment,
} from '../../src/index.js';

describe('ParameterTool', () => {
  it('fromArgs reads --key value, -key value, flags and negative numbers as Flink does', () => {
    const p = ParameterTool.fromArgs(['--input', 'in.txt', '-output', 'out', '--verbose', '--offset', '-5', '--ratio', '0.5', '--last']);
    expect(p.getNumberOfParameters()).toBe(6);
    expect(p.get('input')).toBe('in.txt');
    expect(p.get('output')).toBe('out');
    expect(p.has('verbose')).toBe(true);
    expect(p.get('verbose')).toBe(NO_VALUE_KEY);
    expect(p.getInt('offset')).toBe(-5);
    expect(p.getDouble('ratio')).toBe(0.5);
    expect(p.has('last')).toBe(true);
    expect(p.has('missing')).toBe(false);
    expect(p.get('missing')).toBeUndefined();
    expect(p.get('missing', 'dflt')).toBe('dflt');
  });

  it('refuses an argument that is not a key, and an empty key, in one line', () => {
    expect(() => ParameterTool.fromArgs(['input', 'x'])).toThrow(/Please prefix keys with -- or -/);
    expect(() => ParameterTool.fromArgs(['--'])).toThrow(/contains an empty argument/);
  });

  it('typed getters: required without a default, the default otherwise, a typed error on bad values', () => {
    const p = ParameterTool.fromMap({ n: '42', big: '9007199254740991', t: 'TRUE', f: 'no', x: 'abc', d: '1e3' });
    expect(p.getInt('n')).toBe(42);
    expect(p.getLong('big')).toBe(9007199254740991);
    expect(p.getInt('absent', 7)).toBe(7);
    expect(p.getBoolean('t')).toBe(true);
    expect(p.getBoolean('f')).toBe(false);
    expect(p.getBoolean('absent', true)).toBe(true);
    expect(p.getDouble('d')).toBe(1000);
    expect(() => p.getInt('x')).toThrow(InvalidArgumentError);
    expect(() => p.getInt('big')).toThrow(/not a valid int/);
    expect(() => p.getRequired('absent')).toThrow("No data for required key 'absent'");
    expect(() => p.getInt('absent')).toThrow(InvalidArgumentError);
    expect(p.getRequired('n')).toBe('42');
  });

  it('a flag reads false with getBoolean (Java Boolean.valueOf), true with has', () => {
    const p = ParameterTool.fromArgs(['--dry-run']);
    expect(p.getBoolean('dry-run')).toBe(false);
    expect(p.has('dry-run')).toBe(true);
  });

  it('toMap, mergeWith (the argument wins), getUnrequestedParameters, fromMap with a Map', () => {
    const a = ParameterTool.fromMap(new Map([['a', '1'], ['b', '2']]));
    const b = ParameterTool.fromArgs(['--b', '3', '--c', '4']);
    const m = a.mergeWith(b);
    expect([...m.toMap()].sort()).toEqual([['a', '1'], ['b', '3'], ['c', '4']]);
    expect(m.getNumberOfParameters()).toBe(3);
    m.get('a');
    expect([...m.getUnrequestedParameters()].sort()).toEqual(['b', 'c']);
    // toMap is a copy
    m.toMap().set('z', '9');
    expect(m.has('z')).toBe(false);
  });

  it('fromPropertiesFile reads key=value and key: value with comments', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluss-params-'));
    const file = join(dir, 'job.properties');
    writeFileSync(file, '# comment\ninput = /data/in\n! other comment\nparallelism: 4\n\nname=a=b\n');
    const p = ParameterTool.fromPropertiesFile(file);
    expect(p.get('input')).toBe('/data/in');
    expect(p.getInt('parallelism')).toBe(4);
    expect(p.get('name')).toBe('a=b');
    expect(() => ParameterTool.fromPropertiesFile(join(dir, 'absent'))).toThrow(InvalidArgumentError);
  });
});

describe('global job parameters', () => {
  it('setGlobalJobParameters refuses what is not a GlobalJobParameters', () => {
    const env = new StreamExecutionEnvironment();
    expect(() => env.getConfig().setGlobalJobParameters({ toMap: () => new Map() } as never)).toThrow(JobBuildError);
    expect(env.getConfig().getGlobalJobParameters().toMap().size).toBe(0);
  });

  it("functions read them on every subtask, through getExecutionConfig() and Flink 1.19's getGlobalJobParameters()", async () => {
    const env = StreamExecutionEnvironment.createLocalEnvironment(2);
    const params = ParameterTool.fromArgs(['--suffix', '!', '--times', '2']);
    env.getConfig().setGlobalJobParameters(params);
    class Decorate extends RichMapFunction<string, string> {
      private suffix = '';
      private times = 0;
      override open(): void {
        const p = this.getRuntimeContext().getExecutionConfig().getGlobalJobParameters() as ParameterTool;
        this.suffix = p.getRequired('suffix');
        this.times = Number(this.getRuntimeContext().getGlobalJobParameters().get('times'));
      }
      map(v: string): string {
        return `${v}${this.suffix.repeat(this.times)}@${this.getRuntimeContext().getIndexOfThisSubtask() >= 0}`;
      }
    }
    const out = await env.fromElements('a', 'b', 'c', 'd').rebalance().map(new Decorate()).executeAndCollect() as string[];
    expect(out.sort()).toEqual(['a!!@true', 'b!!@true', 'c!!@true', 'd!!@true']);
  });
});
