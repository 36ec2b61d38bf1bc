export { ARCHWAY_YAML, parseArchwayYaml } from './parse.ts';
export { renderTagTemplates, type ArchwayYaml } from './schema.ts';
