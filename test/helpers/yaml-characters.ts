/**
 * YAML's own punctuation, and what breaks indentation: the characters a slip of the keyboard brings. Shared by
 * the tests that fuzz script YAML (the linter's and the admin API's).
 */
export const YAML_CHARACTERS = [
  ':',
  '-',
  '[',
  ']',
  '{',
  '}',
  '&',
  '*',
  '!',
  '|',
  '>',
  '#',
  '"',
  "'",
  '\t',
  ' ',
  '%',
  '@',
  '`',
  '\n',
];
