import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

/** The OpenAPI document of the routes mounted in `app`. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Acme Webhooks API')
    .setDescription(
      'Signed webhook delivery with retries, dead letters and replay. Every route but /healthz, /readyz, ' +
        '/metrics, /docs and /openapi.json needs `Authorization: Bearer <key>`. Errors are ' +
        'application/problem+json. Lists take `limit` (1–250, default 50) and `cursor` and return ' +
        '`{"data":[…],"next_cursor"}`, newest first. Each API key may make WEBHOOKS_API_RATE_LIMIT ' +
        'requests per second (default 100, bursts of 200); beyond that a 429 with Retry-After.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'The admin key or a tenant API key' })
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Serves the reference at /docs and the document at /openapi.json (both public). */
export function mountApiReference(app: INestApplication): void {
  let document: OpenAPIObject | undefined;
  SwaggerModule.setup('docs', app, () => (document ??= buildOpenApiDocument(app)), {
    jsonDocumentUrl: 'openapi.json',
    raw: ['json'],
    customSiteTitle: 'Acme Webhooks API',
  });
}
