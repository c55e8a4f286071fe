/** A TypeScript dashboard built with the Foundation SDK carries its finished JSON under this key instead of panels. */
export const SDK_DASHBOARD_KEY = 'grafanaDashboard';
