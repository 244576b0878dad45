import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'acme:public';
export const ADMIN_ONLY = 'acme:admin-only';

/** No API key needed (health, docs). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** Only the admin key; a tenant key gets 403. */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);
