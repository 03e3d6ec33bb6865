import { z } from 'zod';

export const DiagnosticSchema = z
  .object({
    id: z.string(),
    code: z.string(),
    severity: z.string(),
    category: z.string(),
    title: z.string(),
    message: z.string(),
    data_freshness: z.string(),
    suggested_command: z.string().optional(),
    doc_url: z.string().optional(),
    evidence: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'Diagnostic' });

export const ErrorResponseSchema = z
  .object({ error: z.string(), diagnostic: DiagnosticSchema.nullable().optional() })
  .meta({ id: 'ErrorResponse', description: 'Error body of every non-2xx response.' });

/** Error responses every API route can give besides its own: bad input, auth, size, internals. */
export const COMMON_ERRORS = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  413: ErrorResponseSchema,
  415: ErrorResponseSchema,
  500: ErrorResponseSchema,
} as const;
