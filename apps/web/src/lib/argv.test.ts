import { describe, expect, it } from 'vitest';
import { splitArgs } from './argv';
import { fieldErrors } from './field-errors';

describe('splitArgs', () => {
  it.each([
    ['', []],
    ['sleep', ['sleep']],
    ['  3600  ', ['3600']],
    ['sh -c "echo hi; sleep 9"', ['sh', '-c', 'echo hi; sleep 9']],
    ["echo 'a  b' c\\ d", ['echo', 'a  b', 'c d']],
    ['""', ['']],
  ])('%j', (line, argv) => expect(splitArgs(line)).toEqual(argv));
});

describe('fieldErrors', () => {
  const fields = { 'annotations.name': 'name', 'task.container.image': 'image' } as const;
  it('routes each issue to its field and the rest to the form', () => {
    expect(fieldErrors('annotations.name: invalid name "x!"; task.container.image: image is required; service busy', fields)).toEqual({
      name: 'invalid name "x!"',
      image: 'image is required',
      form: 'service busy',
    });
  });
});
