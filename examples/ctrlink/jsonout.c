#include "jsonout.h"

#include <math.h>

static void indent(FILE *f, int depth)
{
	for (int i = 0; i < depth; i++)
		fputs("    ", f);
}

static void str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '<': fputs("\\u003c", f); break; /* as Go's encoder */
		case '>': fputs("\\u003e", f); break;
		case '&': fputs("\\u0026", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void num(FILE *f, double d)
{
	if (d == floor(d) && fabs(d) < 1e15)
		fprintf(f, "%.0f", d);
	else
		fprintf(f, "%.17g", d);
}

static void value(FILE *f, const cJSON *v, int depth, int pretty)
{
	if (cJSON_IsNull(v) || !v) {
		fputs("null", f);
	} else if (cJSON_IsTrue(v)) {
		fputs("true", f);
	} else if (cJSON_IsFalse(v)) {
		fputs("false", f);
	} else if (cJSON_IsNumber(v)) {
		num(f, v->valuedouble);
	} else if (cJSON_IsString(v)) {
		str(f, v->valuestring);
	} else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
		int obj = cJSON_IsObject(v);
		const cJSON *c = v->child;
		fputc(obj ? '{' : '[', f);
		if (!c) {
			fputc(obj ? '}' : ']', f);
			return;
		}
		for (; c; c = c->next) {
			if (pretty) {
				fputc('\n', f);
				indent(f, depth + 1);
			}
			if (obj) {
				str(f, c->string ? c->string : "");
				fputs(pretty ? ": " : ":", f);
			}
			value(f, c, depth + 1, pretty);
			if (c->next)
				fputc(',', f);
		}
		if (pretty) {
			fputc('\n', f);
			indent(f, depth);
		}
		fputc(obj ? '}' : ']', f);
	}
}

void json_pretty(FILE *f, const cJSON *v, int depth)
{
	value(f, v, depth, 1);
}

void json_compact(FILE *f, const cJSON *v)
{
	value(f, v, 0, 0);
}
