// Regenerates .env.example and the README's configuration table from the settings table
// (npm run gen:env). A unit test fails when either is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderEnvExample, updateReadmeTable } from '../src/config/index.ts';

writeFileSync(new URL('../.env.example', import.meta.url), renderEnvExample());
const readme = new URL('../README.md', import.meta.url);
writeFileSync(readme, updateReadmeTable(readFileSync(readme, 'utf8')));
