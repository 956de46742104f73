/**
 * Document text → value: JSON first, then YAML. `yaml` is hoisted to the workspace root by the
 * server package; it is loaded lazily so a JSON-only agent build still works without it.
 */
export async function parseDocumentText(text: string, name: string): Promise<unknown> {
  try {
    return JSON.parse(text);
  } catch (jsonError) {
    let yaml: typeof import('yaml');
    try {
      yaml = await import('yaml');
    } catch {
      throw new Error(`${name} is not valid JSON (${(jsonError as Error).message}) and YAML support is not installed`);
    }
    try {
      return yaml.parse(text);
    } catch (e) {
      throw new Error(`${name} is neither valid JSON nor YAML: ${(e as Error).message}`);
    }
  }
}
