/** An ajv instancePath (`/alerts/0/expr`) as path segments (`['alerts', 0, 'expr']`). */
export function pointerToPath(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
