/** Links to the detail pages (query strings: the export is static). */
export const serviceHref = (id: string): string => `/services/view?id=${encodeURIComponent(id)}`;
export const taskHref = (id: string): string => `/tasks/view?id=${encodeURIComponent(id)}`;
