/**
 * WordCount, the classic: counts the words of a text file (first argument) or of a built-in
 * paragraph, printing the running count of every word.
 *
 *   fluss run --local examples/wordcount.ts [path/to/file.txt]
 */
import { defineJob, type Collector } from 'fluss';

const TEXT = [
  'To be, or not to be, that is the question:',
  "Whether 'tis nobler in the mind to suffer",
  'The slings and arrows of outrageous fortune,',
  'Or to take arms against a sea of troubles',
  'And by opposing end them. To die: to sleep;',
  'No more; and by a sleep to say we end',
  'The heart-ache and the thousand natural shocks',
  'That flesh is heir to.',
];

export default defineJob((env, args) => {
  const lines = args[0] ? env.readTextFile(args[0]) : env.fromElements(...TEXT);
  lines
    .flatMap((line: string, out: Collector<string>) => {
      for (const word of line.toLowerCase().split(/[^\p{L}]+/u)) {
        if (word) out.collect(word);
      }
    })
    .name('Tokenizer')
    .map((word: string): [string, number] => [word, 1])
    .keyBy((pair) => pair[0])
    .sum(1)
    .print();
});
