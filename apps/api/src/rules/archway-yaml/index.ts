export { ARCHWAY_YAML, parseArchwayYaml } from './parse.ts';
export { renderTagTemplates, type ArchwayYaml, type YamlImage } from './schema.ts';
