/*
 * Unit tests for examples/ctrlink/template.c: Go text/template over cJSON.
 * One TAP point per table row, plus the hostile-input checks at the end.
 */
#include "tap.h"
#include "template.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* `docker inspect web` in the classic shape (docker-semantics.md §4), trimmed. */
static const char *const INSPECT =
	"{\"Id\":\"4f1c0a9e2b7d4c3e8a6f5b1d0c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e\","
	"\"Created\":\"2026-11-28T11:14:41.123456789Z\","
	"\"State\":{\"Status\":\"running\",\"Running\":true,\"Paused\":false,"
	"\"Restarting\":false,\"OOMKilled\":false,\"Dead\":false,\"Pid\":4242,\"ExitCode\":0,"
	"\"Error\":\"\",\"StartedAt\":\"2026-11-28T11:14:41.5Z\","
	"\"FinishedAt\":\"0001-01-01T00:00:00Z\"},"
	"\"Name\":\"/web\","
	"\"HostConfig\":{\"NetworkMode\":\"default\","
	"\"PortBindings\":{\"5000/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"80\"}]},"
	"\"Links\":[\"/db:/web/db\"],\"PublishAllPorts\":false,\"AutoRemove\":false,"
	"\"CapAdd\":null,\"Dns\":[]},"
	"\"Config\":{\"Hostname\":\"4f1c0a9e2b7d\",\"ExposedPorts\":{\"5000/tcp\":{}},"
	"\"Env\":[\"PATH=/usr/bin\",\"A=b\"],\"Cmd\":[\"python\",\"app.py\"],"
	"\"Labels\":{\"z\":\"last\",\"a\":\"first\"},\"Volumes\":null},"
	"\"NetworkSettings\":{\"Bridge\":\"\",\"HairpinMode\":false,"
	"\"Ports\":{\"5000/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"80\"},"
	"{\"HostIp\":\"::\",\"HostPort\":\"80\"}]},"
	"\"SecondaryIPAddresses\":null,\"Gateway\":\"172.17.0.1\",\"IPAddress\":\"172.17.0.3\","
	"\"IPPrefixLen\":16,\"MacAddress\":\"02:42:ac:11:00:03\","
	"\"Networks\":{\"bridge\":{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":null,"
	"\"Gateway\":\"172.17.0.1\",\"IPAddress\":\"172.17.0.3\",\"IPPrefixLen\":16,"
	"\"DriverOpts\":null}}}}";

/* A document with one value of each JSON type, for printing. */
static const char *const TYPES =
	"{\"s\":\"héllo wörld\",\"i\":42,\"neg\":-7,\"zero\":0,\"f\":1.5,\"small\":0.00001,"
	"\"big\":1234567.5,\"mid\":123456.5,\"tenth\":0.1,\"huge\":1e21,\"e20\":1e20,"
	"\"tiny\":1e-7,\"micro\":0.000001,\"t\":true,\"fa\":false,\"n\":null,\"el\":[],\"em\":{},"
	"\"l\":[\"a\",\"b\",\"c\"],\"nl\":[[1,2],[3]],\"ml\":[{\"a\":1},{\"b\":2}],"
	"\"m\":{\"b\":2,\"a\":1,\"c\":{\"y\":true,\"x\":null}},\"mixed\":[1,\"x\",null,true],"
	"\"esc\":\"q\\\"b\\\\s\\n\\t<>&\\u2028\\u0001\",\"emptys\":\"\",\"zs\":\"0\","
	"\"one\":[0],\"words\":\"hello big_world-again\",\"csv\":\"a,b,,c\"}";

struct tcase {
	const char *tmpl;
	const char *json;	/* NULL: INSPECT */
	int rc;
	const char *want;	/* the output, or (rc != 0) the error; "~x": contains x */
};

static const struct tcase cases[] = {
	/* --- the Docker examples ------------------------------------------------------ */
	{ "{{ .HostConfig.Links }}", NULL, 0, "[/db:/web/db]" },
	{ "{{json .Config.ExposedPorts}}", NULL, 0, "{\"5000/tcp\":{}}" },
	{ "{{.State.Pid}}", NULL, 0, "4242" },
	{ "{{range $p, $conf := .NetworkSettings.Ports}}{{$p}} -> {{(index $conf 0).HostPort}}"
	  "{{end}}", NULL, 0, "5000/tcp -> 80" },
	{ "{{ .NetworkSettings.Networks.bridge.IPAddress }}", NULL, 0, "172.17.0.3" },
	{ "{{ .Config.Env }}", NULL, 0, "[PATH=/usr/bin A=b]" },
	{ "{{.Name}} {{.State.Running}} {{.NetworkSettings.IPPrefixLen}}", NULL, 0,
	  "/web true 16" },
	{ "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", NULL, 0, "172.17.0.3" },
	{ "{{json .NetworkSettings.Ports}}", NULL, 0,
	  "{\"5000/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"80\"},"
	  "{\"HostIp\":\"::\",\"HostPort\":\"80\"}]}" },
	{ "{{.NetworkSettings.Ports}}", NULL, 0,
	  "map[5000/tcp:[map[HostIp:0.0.0.0 HostPort:80] map[HostIp::: HostPort:80]]]" },
	{ "{{.Config.ExposedPorts}}", NULL, 0, "map[5000/tcp:{}]" },
	{ "{{index .Config.Labels \"a\"}}", NULL, 0, "first" },
	{ "{{truncate .Id 12}}", NULL, 0, "4f1c0a9e2b7d" },
	{ "{{join .Config.Cmd \" \"}}", NULL, 0, "python app.py" },
	{ "{{.State.StartedAt}}|{{.State.FinishedAt}}", NULL, 0,
	  "2026-11-28T11:14:41.5Z|0001-01-01T00:00:00Z" },
	{ "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", NULL, 0,
	  "a=first;z=last;" },
	{ "{{.HostConfig.PortBindings}}", NULL, 0, "map[5000/tcp:[map[HostIp: HostPort:80]]]" },

	/* --- null and missing: Docker's nil slices, maps, pointers; Go's <no value> ------- */
	{ "{{.HostConfig.CapAdd}}", NULL, 0, "[]" },
	{ "{{.NetworkSettings.SecondaryIPAddresses}}", NULL, 0, "[]" },
	{ "{{.NetworkSettings.Networks.bridge.Links}}", NULL, 0, "[]" },
	{ "{{.NetworkSettings.Networks.bridge.DriverOpts}}", NULL, 0, "map[]" },
	{ "{{.Config.Volumes}}", NULL, 0, "map[]" },
	{ "{{.NetworkSettings.Networks.bridge.IPAMConfig}}", NULL, 0, "<nil>" },
	{ "{{.HostConfig.Dns}}", NULL, 0, "[]" },
	{ "{{.Nope}}", NULL, 0, "<no value>" },
	{ "{{.Nope.Deeper.Still}}", NULL, 0, "<no value>" },
	{ "{{.NetworkSettings.Networks.bridge.IPAMConfig.Foo}}", NULL, 0, "<no value>" },
	{ "{{index .Config.Labels \"nope\"}}", NULL, 0, "<no value>" },
	{ "{{json .Nope}}", NULL, 0, "null" },
	{ "{{json .HostConfig.CapAdd}}", NULL, 0, "null" },
	{ "{{printf \"%v|%s\" .Nope .Nope}}", NULL, 0, "<nil>|%!s(<nil>)" },
	{ "{{printf \"%v\" .HostConfig.CapAdd}}", NULL, 0, "[]" },
	{ "{{.}}", "null", 0, "<nil>" },
	{ "{{.}}", NULL, 0, "~map[Config:map[Cmd:[python app.py] Env:[PATH=/usr/bin A=b]" },

	/* --- Go printing of every JSON type --------------------------------------------- */
	{ "{{.s}}", TYPES, 0, "héllo wörld" },
	{ "{{.i}} {{.neg}} {{.zero}}", TYPES, 0, "42 -7 0" },
	{ "{{.f}} {{.small}} {{.big}} {{.mid}} {{.tenth}}", TYPES, 0,
	  "1.5 1e-05 1.2345675e+06 123456.5 0.1" },
	{ "{{.huge}} {{.tiny}}", TYPES, 0, "1e+21 1e-07" },
	{ "{{.t}} {{.fa}}", TYPES, 0, "true false" },
	{ "{{.n}}", TYPES, 0, "<nil>" },
	{ "{{.el}} {{.em}}", TYPES, 0, "[] map[]" },
	{ "{{.l}}", TYPES, 0, "[a b c]" },
	{ "{{.nl}}", TYPES, 0, "[[1 2] [3]]" },
	{ "{{.ml}}", TYPES, 0, "[map[a:1] map[b:2]]" },
	{ "{{.m}}", TYPES, 0, "map[a:1 b:2 c:map[x:<nil> y:true]]" },
	{ "{{.mixed}}", TYPES, 0, "[1 x <nil> true]" },
	{ "{{.}}", "\"just a string\"", 0, "just a string" },
	{ "{{.}}", "-12.25", 0, "-12.25" },
	{ "{{.}}", "[]", 0, "[]" },

	/* --- json: Go's json.Marshal with SetEscapeHTML(false) -------------------------- */
	{ "{{json .esc}}", TYPES, 0, "\"q\\\"b\\\\s\\n\\t<>&\\u2028\\u0001\"" },
	{ "{{json .s}}", TYPES, 0, "\"héllo wörld\"" },
	{ "{{json .huge}} {{json .e20}} {{json .tiny}} {{json .micro}} {{json .f}}", TYPES, 0,
	  "1e+21 100000000000000000000 1e-7 0.000001 1.5" },
	{ "{{json .i}} {{json .t}} {{json .n}} {{json .el}} {{json .em}}", TYPES, 0,
	  "42 true null [] {}" },
	{ "{{json .m}}", TYPES, 0, "{\"b\":2,\"a\":1,\"c\":{\"y\":true,\"x\":null}}" },
	{ "{{json .mixed}}", TYPES, 0, "[1,\"x\",null,true]" },
	{ "{{.Config.Env | json}}", NULL, 0, "[\"PATH=/usr/bin\",\"A=b\"]" },

	/* --- text, fields, dot, variables ------------------------------------------------ */
	{ "", NULL, 0, "" },
	{ "plain text, no actions", NULL, 0, "plain text, no actions" },
	{ "a {{\"b\"}} c", NULL, 0, "a b c" },
	{ "{{$}}", "7", 0, "7" },
	{ "{{range .l}}{{$.i}}{{end}}", TYPES, 0, "424242" },
	{ "{{$x := .Name}}{{$x}}{{$x}}", NULL, 0, "/web/web" },
	{ "{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", NULL, 0, "2" },
	{ "{{$x := upper \"a\"}}{{$y := $x}}{{$x = \"b\"}}{{$y}}{{$x}}", NULL, 0, "Ab" },
	{ "{{$n := .NetworkSettings}}{{$n.Networks.bridge.Gateway}}", NULL, 0, "172.17.0.1" },
	{ "{{$l := split \"a,b\" \",\"}}{{range $l}}{{$l = 5}}{{.}}{{end}}{{$l}}", NULL, 0,
	  "ab5" },
	{ "{{with $x := split \"p q\" \" \"}}{{$x = 0}}{{.}}{{end}}", NULL, 0, "[p q]" },

	/* --- if / else if / else / with ------------------------------------------------- */
	{ "{{if .State.Running}}up{{else}}down{{end}}", NULL, 0, "up" },
	{ "{{if .State.Dead}}dead{{else if .State.Paused}}paused{{else if .State.Running}}up"
	  "{{else}}?{{end}}", NULL, 0, "up" },
	{ "{{if .fa}}1{{else if .zero}}2{{else if .emptys}}3{{else if .n}}4{{else if .el}}5"
	  "{{else if .em}}6{{else if .Nope}}7{{else}}none{{end}}", TYPES, 0, "none" },
	{ "{{if .zs}}a{{end}}{{if .one}}b{{end}}{{if .i}}c{{end}}{{if .t}}d{{end}}{{if .m}}e"
	  "{{end}}{{if .f}}f{{end}}", TYPES, 0, "abcdef" },
	{ "{{with .State}}{{.Status}}{{end}}", NULL, 0, "running" },
	{ "{{with .Nope}}x{{else}}y{{end}}", NULL, 0, "y" },
	{ "{{with .Nope}}x{{else with .Name}}{{.}}{{end}}", NULL, 0, "/web" },
	{ "{{with $s := .State.Status}}{{$s}}{{.}}{{end}}", NULL, 0, "runningrunning" },
	{ "{{if $p := .State.Pid}}{{$p}}{{end}}", NULL, 0, "4242" },

	/* --- range ------------------------------------------------------------------------ */
	{ "{{range .l}}<{{.}}>{{end}}", TYPES, 0, "<a><b><c>" },
	{ "{{range $i, $v := .l}}{{$i}}={{$v}} {{end}}", TYPES, 0, "0=a 1=b 2=c " },
	{ "{{range $v := .l}}{{$v}}{{end}}", TYPES, 0, "abc" },
	{ "{{range $k, $v := .m}}{{$k}}:{{$v}},{{end}}", TYPES, 0,
	  "a:1,b:2,c:map[x:<nil> y:true]," },
	{ "{{range .m}}{{.}};{{end}}", TYPES, 0, "1;2;map[x:<nil> y:true];" },
	{ "{{range .el}}x{{else}}empty{{end}}", TYPES, 0, "empty" },
	{ "{{range .n}}x{{else}}nil{{end}}", TYPES, 0, "nil" },
	{ "{{range .Nope}}x{{else}}missing{{end}}", TYPES, 0, "missing" },
	{ "{{range .l}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}", TYPES, 0, "a" },
	{ "{{range .l}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}", TYPES, 0, "ac" },
	{ "{{range 3}}{{.}}{{end}}", NULL, 0, "012" },
	{ "{{range $i := 2}}[{{$i}}]{{end}}{{range 0}}x{{else}}none{{end}}", NULL, 0,
	  "[0][1]none" },
	{ "{{range .nl}}{{range .}}{{.}}{{end}}|{{end}}", TYPES, 0, "12|3|" },
	{ "{{range $i, $c := split \"x-y\" \"-\"}}{{$i}}{{$c}}{{end}}", NULL, 0, "0x1y" },
	{ "{{$last := \"\"}}{{range .l}}{{$last = .}}{{end}}{{$last}}", TYPES, 0, "c" },

	/* --- index, len ------------------------------------------------------------------- */
	{ "{{index .l 1}}", TYPES, 0, "b" },
	{ "{{index .m \"c\" \"y\"}}", TYPES, 0, "true" },
	{ "{{index .nl 0 1}}", TYPES, 0, "2" },
	{ "{{index .s 0}}", TYPES, 0, "104" },
	{ "{{index .l}}", TYPES, 0, "[a b c]" },
	{ "{{(index .ml 1).b}}", TYPES, 0, "2" },
	{ "{{len .s}} {{len .l}} {{len .m}} {{len .el}} {{len .n}}", TYPES, 0, "13 3 3 0 0" },
	{ "{{.l | len}}", TYPES, 0, "3" },

	/* --- docker/cli functions ----------------------------------------------------------- */
	{ "{{join .l \", \"}}", TYPES, 0, "a, b, c" },
	{ "{{join .n \",\"}}|{{join .Nope \",\"}}", TYPES, 0, "|" },
	{ "{{split .csv \",\"}} {{len (split .csv \",\")}}", TYPES, 0, "[a b  c] 4" },
	{ "{{split \"héy\" \"\"}}", NULL, 0, "[h é y]" },
	{ "{{json (split \"\" \",\")}}", NULL, 0, "[\"\"]" },
	{ "{{upper .s}} {{lower \"MiXeD\"}}", TYPES, 0, "HÉLLO WÖRLD mixed" },
	{ "{{upper \"straße ÿ µ ı ſ ğ ź αβς жё\"}}", NULL, 0, "STRAßE Ÿ Μ I S Ğ Ź ΑΒΣ ЖЁ" },
	{ "{{lower \"ÀÉÎ İ Ÿ Ğ Ź ΑΒΣ ЖЁ Ⅻ\"}}", NULL, 0, "àéî i ÿ ğ ź αβσ жё Ⅻ" },
	{ "{{upper \"a\xff\" \"b\"}}", NULL, -EINVAL, "~wrong number of args for upper" },
	{ "{{upper \"a\xff\"}}|{{upper \"é\xff\"}}", NULL, 0, "A\xef\xbf\xbd|É\xef\xbf\xbd" },
	{ "{{upper .}}", "\"a\\u00ffb\"", 0, "AŸB" },
	{ "{{upper .}}|{{lower .}}|{{len .}}", "\"a\xff\"", 0,
	  "A\xef\xbf\xbd|a\xef\xbf\xbd|2" },
	{ "{{title .words}}", TYPES, 0, "Hello Big_world-Again" },
	{ "{{title \"élan vital, ça va\"}}", NULL, 0, "Élan Vital, Ça Va" },
	{ "[{{pad \"ab\" 2 3}}][{{pad \"\" 2 3}}]", NULL, 0, "[  ab   ][]" },
	{ "{{truncate \"abcdef\" 3}}|{{truncate \"ab\" 5}}|{{truncate \"ab\" 0}}", NULL, 0,
	  "abc|ab|" },
	{ "{{.Name | upper}} {{.Name | upper | lower}}", NULL, 0, "/WEB /web" },

	/* --- printf, print, println --------------------------------------------------------- */
	{ "{{printf \"%s:%d\" .Name .State.Pid}}", NULL, 0, "/web:4242" },
	{ "{{printf \"%v %v %v %v\" .s .i .f .t}}", TYPES, 0, "héllo wörld 42 1.5 true" },
	{ "{{printf \"%q %q\" .s .l}}", TYPES, 0, "\"héllo wörld\" [\"a\" \"b\" \"c\"]" },
	{ "{{printf \"%q\" .esc}}", TYPES, 0, "\"q\\\"b\\\\s\\n\\t<>&\\u2028\\x01\"" },
	{ "{{printf \"%#q\" \"a b\"}}", NULL, 0, "`a b`" },
	{ "{{printf \"%5d|%-5d|%05d|%+d|% d\" 42 42 42 42 42}}", NULL, 0,
	  "   42|42   |00042|+42| 42" },
	{ "{{printf \"%5s|%-5s|%.2s|%5.1s|\" \"ab\" \"ab\" \"abc\" \"xyz\"}}", NULL, 0,
	  "   ab|ab   |ab|    x|" },
	{ "{{printf \"%x %X %o %b %#x %#o\" 255 255 8 5 255 8}}", NULL, 0,
	  "ff FF 10 101 0xff 010" },
	{ "{{printf \"%x|% x|%X\" \"hi\" \"\" \"hi\"}}", NULL, 0, "6869||6869" },
	{ "{{printf \"%.2f|%e|%g|%6.2f|%08.3f|%G\" 3.14159 1234.5678 0.000012345 3.14159 "
	  "-3.14159 1e-10}}", NULL, 0, "3.14|1.234568e+03|1.2345e-05|  3.14|-003.142|1E-10" },
	{ "{{printf \"%v %g %f\" 2.5 100000000.0 2}}", NULL, 0, "2.5 1e+08 2.000000" },
	{ "{{printf \"%c%c|%U|%#U|%q\" 72 105 128512 65 'x'}}", NULL, 0,
	  "Hi|U+1F600|U+0041 'A'|'x'" },
	{ "{{printf \"%t %v\" true false}}", NULL, 0, "true false" },
	{ "{{printf \"100%%\"}}", NULL, 0, "100%" },
	{ "{{printf \"%d\" \"x\"}}|{{printf \"%s\" 42}}|{{printf \"%d\" 1.5}}|{{printf \"%t\" 1}}",
	  NULL, 0, "%!d(string=x)|%!s(int=42)|%!d(float64=1.5)|%!t(int=1)" },
	{ "{{printf \"%d %d\" 1}}", NULL, 0, "1 %!d(MISSING)" },
	{ "{{printf \"%d\" 1 \"a\" .Nope}}", NULL, 0, "1%!(EXTRA string=a, <nil>)" },
	{ "{{printf \"abc%\"}}", NULL, 0, "abc%!(NOVERB)" },
	{ "{{printf \"%z\" 1}}", NULL, 0, "%!z(int=1)" },
	{ "{{printf \"%d\" .Config.Env}}", NULL, 0,
	  "[%!d(string=PATH=/usr/bin) %!d(string=A=b)]" },
	{ "{{printf \"%3d\" .nl}}", TYPES, 0, "[[  1   2] [  3]]" },
	{ "{{printf \"%v\" .m}}|{{printf \"%T %T %T\" .s .i .l}}", TYPES, 0,
	  "map[a:1 b:2 c:map[x:<nil> y:true]]|string int []interface {}" },
	{ "{{printf \"%v\" .Config.ExposedPorts}}", NULL, 0, "map[5000/tcp:{}]" },
	{ "{{len (printf \"%99999d|%.3d\" 1 2)}}", NULL, 0, "100003" },
	{ "{{printf \"%9999999999d|\" 1}}", NULL, 0, "%!(NOVERB)%!(EXTRA int=1)" },
	{ "{{\"x\" | printf \"%s-%s\" \"a\"}}", NULL, 0, "a-x" },
	{ "{{print \"a\" \"b\" 1 2 \"c\" .Nope}}", NULL, 0, "ab1 2c<nil>" },
	{ "{{println \"a\" 1}}", NULL, 0, "a 1\n" },
	{ "{{print}}", NULL, 0, "" },

	/* --- comparisons and logic ----------------------------------------------------------- */
	{ "{{eq .State.Status \"running\"}} {{ne 1 2}} {{eq 1 2 3 1}}", NULL, 0,
	  "true true true" },
	{ "{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1 2}} {{lt 1.5 2}}", NULL, 0,
	  "true true true false true" },
	{ "{{eq .Nope nil}} {{eq .n .Nope}} {{eq \"a\" .Nope}} {{eq true true}}", TYPES, 0,
	  "true true false true" },
	{ "{{and 1 \"x\"}} {{and 0 .Nope.X}} {{or .Nope \"default\"}} {{or 0 \"\"}}", NULL, 0,
	  "x 0 default " },
	{ "{{not 0}} {{not .State.Running}} {{if and .State.Running (not .State.Paused)}}ok"
	  "{{end}}", NULL, 0, "true false ok" },
	{ "{{.Name | or .Nope}}", NULL, 0, "/web" },

	/* --- literals ------------------------------------------------------------------------ */
	{ "{{0x1F}} {{0o17}} {{0b101}} {{017}} {{1_000}} {{1e3}} {{-3}} {{+4}} {{1.25}}", NULL, 0,
	  "31 15 5 15 1000 1000 -3 4 1.25" },
	{ "{{'a'}} {{'\\n'}} {{'\\x41'}} {{'é'}}", NULL, 0, "97 10 65 233" },
	{ "{{\"a\\tb\\u00e9\\x41\\101\\\\\"}}", NULL, 0, "a\tbéAA\\" },
	{ "{{`raw\\n{{x}}`}}", NULL, 0, "raw\\n{{x}}" },
	{ "{{true}} {{false}}", NULL, 0, "true false" },

	/* --- trim markers and comments ------------------------------------------------------ */
	{ "a  \n\t {{- .Name -}} \n  b", NULL, 0, "a/webb" },
	{ "a {{- \" x \" }} b", NULL, 0, "a x  b" },
	{ "{{-3}}", NULL, 0, "-3" },
	{ "{{- 3 -}}", NULL, 0, "3" },
	{ "<\n{{- range .l}}\n  {{.}}\n{{- end}}\n>", TYPES, 0, "<\n  a\n  b\n  c\n>" },
	{ "a{{/* a comment {{ with braces }} */}}b", NULL, 0, "ab" },
	{ "a \n {{- /* trimmed */ -}} \n b", NULL, 0, "ab" },
	{ "x{{\n.Name\n}}y", NULL, 0, "x/weby" },

	/* --- syntax errors ------------------------------------------------------------------ */
	{ "{{ .Foo }", NULL, -EINVAL, "template: :1: unexpected \"}\" in operand" },
	{ "{{ .Foo ", NULL, -EINVAL, "template: :1: unclosed action" },
	{ "{{foo}}", NULL, -EINVAL, "template: :1: function \"foo\" not defined" },
	{ "{{end}}", NULL, -EINVAL, "template: :1: unexpected {{end}}" },
	{ "{{else}}", NULL, -EINVAL, "template: :1: unexpected {{else}}" },
	{ "a\nb\n{{if .X}}c", NULL, -EINVAL, "template: :3: unexpected EOF" },
	{ "{{range .X}}{{else}}{{else}}{{end}}", NULL, -EINVAL,
	  "template: :1: expected end; found {{else}}" },
	{ "{{range .X}}{{else if .Y}}{{end}}", NULL, -EINVAL,
	  "template: :1: unexpected <if> in input" },
	{ "{{break}}", NULL, -EINVAL, "template: :1: {{break}} outside {{range}}" },
	{ "{{range .l}}{{else}}{{continue}}{{end}}", NULL, -EINVAL,
	  "template: :1: {{continue}} outside {{range}}" },
	{ "{{template \"x\"}}", NULL, -EINVAL, "template: :1: {{template}} is not supported" },
	{ "{{define \"x\"}}{{end}}", NULL, -EINVAL, "template: :1: {{define}} is not supported" },
	{ "{{.X | 3}}", NULL, -EINVAL, "template: :1: non executable command in pipeline stage 2" },
	{ "{{.X .Y}}", NULL, -EINVAL, "template: :1: X is not a method but has arguments" },
	{ "{{.X | .Y.Z}}", NULL, -EINVAL, "template: :1: Z is not a method but has arguments" },
	{ "{{$ 1}}", NULL, -EINVAL, "template: :1: can't give argument to non-function $" },
	{ "{{(1) 2}}", NULL, -EINVAL, "template: :1: can't give argument to non-function (1)" },
	{ "{{nil}}", NULL, -EINVAL, "template: :1: nil is not a command" },
	{ "{{join .X}}", NULL, -EINVAL,
	  "template: :1: wrong number of args for join: want 2 got 1" },
	{ "{{printf}}", NULL, -EINVAL,
	  "template: :1: wrong number of args for printf: want at least 1 got 0" },
	{ "{{.X | upper 1}}", NULL, -EINVAL,
	  "template: :1: wrong number of args for upper: want 1 got 2" },
	{ "{{printf \"%s\" upper}}", NULL, -EINVAL,
	  "template: :1: wrong number of args for upper: want 1 got 0" },
	{ "{{$x := }}", NULL, -EINVAL, "template: :1: missing value for command" },
	{ "{{}}", NULL, -EINVAL, "template: :1: missing value for command" },
	{ "{{if}}{{end}}", NULL, -EINVAL, "template: :1: missing value for if" },
	{ "{{.Name |}}", NULL, 0, "/web" },
	{ "{{.X | | .Y}}", NULL, -EINVAL, "template: :1: unexpected \"|\" in command" },
	{ "{{$y}}", NULL, -EINVAL, "template: :1: undefined variable \"$y\"" },
	{ "{{$y = 1}}", NULL, -EINVAL, "template: :1: undefined variable \"$y\"" },
	{ "{{if 1}}{{$v := 2}}{{end}}{{$v}}", NULL, -EINVAL,
	  "template: :1: undefined variable \"$v\"" },
	{ "{{1x}}", NULL, -EINVAL, "template: :1: bad number syntax: \"1x\"" },
	{ "{{0x1.8p1}} {{-0x1p-2}}", NULL, 0, "3 -0.25" },
	{ "{{0x1.8}}", NULL, -EINVAL, "template: :1: illegal number syntax: \"0x1.8\"" },
	{ "{{08}}", NULL, -EINVAL, "template: :1: illegal number syntax: \"08\"" },
	{ "{{3i}}", NULL, -EINVAL, "template: :1: illegal number syntax: \"3i\"" },
	{ "{{\"\\q\"}}", NULL, -EINVAL,
	  "template: :1: invalid syntax in quoted string \"\\\"\\\\q\\\"\"" },
	{ "{{\"\\x00\"}}", NULL, -EINVAL,
	  "template: :1: a NUL byte in a string literal is not supported" },
	{ "{{'ab'}}", NULL, -EINVAL, "template: :1: malformed character constant: 'ab'" },
	{ "{{(.X}}", NULL, -EINVAL, "template: :1: unclosed left paren" },
	{ "{{.X)}}", NULL, -EINVAL, "template: :1: unexpected right paren" },
	{ "{{.X-1}}", NULL, -EINVAL, "template: :1: bad character U+002D '-'" },
	{ "{{.X\x01}}", NULL, -EINVAL, "template: :1: bad character U+0001" },
	{ "{{\x01}}", NULL, -EINVAL, "template: :1: unrecognized character in action: U+0001" },
	{ "{{.X:Y}}", NULL, -EINVAL, "template: :1: expected :=" },
	{ "{{1.X}}", NULL, -EINVAL, "template: :1: bad number syntax: \"1.X\"" },
	{ "{{\"s\".X}}", NULL, -EINVAL, "template: :1: unexpected . after term \"\\\"s\\\"\"" },
	{ "{{range $a, $b, $c := .X}}{{end}}", NULL, -EINVAL,
	  "template: :1: too many declarations in range" },
	{ "{{range $a, 3}}{{end}}", NULL, -EINVAL,
	  "template: :1: range can only initialize variables" },
	{ "{{if $a, $b := 1}}{{end}}", NULL, -EINVAL, "template: :1: too many declarations in if" },
	{ "{{(1 | printf \"%d\"}}", NULL, -EINVAL, "template: :1: unclosed left paren" },
	{ "{{($x := 1)}}{{$x}}{{if ($y := 2)}}{{$y}}{{end}}", NULL, 0, "112" },
	{ "{{($x := upper \"a\")}}{{$x = lower $x}}{{$x}}", NULL, 0, "Aa" },
	{ "{{$x := split \"a b\" \" \"}}{{printf \"%v %v %v\" $x ($x = 2) $x}}", NULL, 0,
	  "[a b] 2 2" },
	{ "{{$x := split \"a b\" \" \"}}{{$x | printf \"%v %v\" ($x = 3)}}", NULL, 0, "3 [a b]" },
	{ "{{$x := split \"a b\" \" \"}}{{$x | and ($x = 4)}}|{{$x}}", NULL, 0, "[a b]|4" },
	{ "{{$x := split \"a b\" \" \"}}{{index $x (len ($x = \"xyz\") | printf \"%d\" | len)}}",
	  NULL, 0, "b" },
	{ "{{/* open", NULL, -EINVAL, "template: :1: unclosed comment" },
	{ "{{/* c */ .X}}", NULL, -EINVAL, "template: :1: comment ends before closing delimiter" },
	{ "{{if .X}}{{end x}}", NULL, -EINVAL, "template: :1: unexpected \"x\" in end" },
	{ "{{else if .X}}", NULL, -EINVAL, "template: :1: unexpected {{else}}" },
	{ "{{\"abc}}", NULL, -EINVAL, "template: :1: unterminated quoted string" },
	{ "{{`abc}}", NULL, -EINVAL, "template: :1: unterminated raw quoted string" },
	{ "{{'a}}", NULL, -EINVAL, "template: :1: unterminated character constant" },
	{ "{{\"a\nb\"}}", NULL, -EINVAL, "template: :1: unterminated quoted string" },
	{ "ok\n{{.X}}\n{{.Y \"}}", NULL, -EINVAL, "template: :3: unterminated quoted string" },
	{ "{{if .X}}{{else}}{{if .Y}}{{end}}", NULL, -EINVAL, "template: :1: unexpected EOF" },
	{ "{{with .X}}{{else if .Y}}{{end}}", NULL, -EINVAL,
	  "template: :1: unexpected <if> in input" },

	/* --- execution errors ---------------------------------------------------------------- */
	{ "{{index .Config.Env 5}}", NULL, -EDOM,
	  "template: :1:2: executing \"\" at <index .Config.Env 5>: error calling index: index "
	  "out of range: 5" },
	{ "{{index .Config.Env \"x\"}}", NULL, -EDOM,
	  "~error calling index: cannot index slice/array with type string" },
	{ "{{index .Config.Labels 1}}", NULL, -EDOM,
	  "~error calling index: value has type int; should be string" },
	{ "{{index .Nope 0}}", NULL, -EDOM, "~error calling index: index of untyped nil" },
	{ "{{index .HostConfig.CapAdd 0}}", NULL, -EDOM,
	  "~error calling index: index out of range: 0" },
	{ "{{index .State.Pid 0}}", NULL, -EDOM,
	  "~error calling index: can't index item of type int" },
	{ "{{upper .State.Pid}}", NULL, -EDOM,
	  "template: :1:8: executing \"\" at <.State.Pid>: wrong type for value; "
	  "expected string; got int" },
	{ "{{.State.Pid | upper}}", NULL, -EDOM,
	  "template: :1:15: executing \"\" at <upper>: wrong type for value; "
	  "expected string; got int" },
	{ "{{upper .Nope}}", NULL, -EDOM, "~invalid value; expected string" },
	{ "{{join .Name \",\"}}", NULL, -EDOM,
	  "~wrong type for value; expected []string; got string" },
	{ "{{join .mixed \",\"}}", TYPES, -EDOM,
	  "~wrong type for value; expected []string; got []interface {}" },
	{ "{{truncate .Name 1.5}}", NULL, -EDOM,
	  "~wrong type for value; expected int; got float64" },
	{ "{{truncate .Name -1}}", NULL, -EDOM,
	  "~error calling truncate: runtime error: slice bounds out of range [:-1]" },
	{ "{{pad .Name -1 0}}", NULL, -EDOM, "~error calling pad: strings: negative Repeat count" },
	{ "{{len 3}}", NULL, -EDOM, "~error calling len: len of type int" },
	{ "{{len .Nope}}", NULL, -EDOM, "~error calling len: len of untyped nil" },
	{ "{{lt \"a\" 1}}", NULL, -EDOM, "~error calling lt: incompatible types for comparison" },
	{ "{{lt true false}}", NULL, -EDOM, "~error calling lt: invalid type for comparison" },
	{ "{{eq .Config.Env .Config.Env}}", NULL, -EDOM,
	  "~error calling eq: invalid type for comparison" },
	{ "{{printf 3}}", NULL, -EDOM, "~wrong type for value; expected string; got int" },
	{ "{{range .Name}}{{end}}", NULL, -EDOM, "~range can't iterate over /web" },
	{ "{{range true}}{{end}}", NULL, -EDOM, "~range can't iterate over true" },
	{ "{{range 1.5}}{{end}}", NULL, -EDOM, "~range can't iterate over 1.5" },
	{ "{{range $i, $v := 3}}{{end}}", NULL, -EDOM,
	  "~can't use 3 to iterate over more than one variable" },
	{ "{{.State.Pid.X}}", NULL, -EDOM,
	  "template: :1:2: executing \"\" at <.State.Pid.X>: can't evaluate field X in type int" },
	{ "{{.Config.Env.X}}", NULL, -EDOM,
	  "~can't evaluate field X in type []interface {}" },
	{ "line1\n  {{.Name.X}}", NULL, -EDOM,
	  "template: :2:4: executing \"\" at <.Name.X>: can't evaluate field X in type string" },
	{ "{{if true}}{{$v := 1}}{{else}}{{$v}}{{end}}", "0", 0, "" },
};

/* A one-line, length-limited rendering of a template for a TAP test name. */
static const char *name_of(const char *s, char *buf, size_t n)
{
	size_t k = 0;
	for (; *s && k + 5 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n' || c == '\t') {
			buf[k++] = '\\';
			buf[k++] = c == '\n' ? 'n' : 't';
		} else if (c < 0x20 || c == 0x7f) {
			k += (size_t)snprintf(buf + k, n - k, "\\x%02x", c);
		} else {
			buf[k++] = (char)c;
		}
	}
	if (*s)
		k += (size_t)snprintf(buf + k, n - k, "...");
	buf[k] = '\0';
	return buf;
}

static void run_case(size_t idx, const struct tcase *c)
{
	char name[96];
	cJSON *doc = cJSON_Parse(c->json ? c->json : INSPECT);
	char *out = NULL, *err = NULL;
	int rc = template_render(c->tmpl, doc, &out, &err);
	int good;
	const char *got = rc ? err : out;
	if (c->want[0] == '~')
		good = rc == c->rc && got && strstr(got, c->want + 1) != NULL;
	else
		good = rc == c->rc && got && strcmp(got, c->want) == 0;
	good = good && (rc ? out == NULL : err == NULL) && doc != NULL;
	ok(good, "case %zu: %s", idx, name_of(c->tmpl, name, sizeof name));
	if (!good) {
		diag("     got: rc=%d \"%s\"", rc, got ? got : "(null)");
		diag("expected: rc=%d \"%s\"", c->rc, c->want);
	}
	free(out);
	free(err);
	cJSON_Delete(doc);
}

/* Render tmpl over doc; check rc and, when want is not NULL, that the output or error
 * contains it. */
static void expect(const char *name, const char *tmpl, const cJSON *doc, int want_rc,
		   const char *want)
{
	char *out = NULL, *err = NULL;
	int rc = template_render(tmpl, doc, &out, &err);
	const char *got = rc ? err : out;
	int good = rc == want_rc && got && (!want || strstr(got, want)) &&
		   (rc ? out == NULL : err == NULL);
	ok(good, "%s", name);
	if (!good) {
		diag("     got: rc=%d \"%.200s\"", rc, got ? got : "(null)");
		diag("expected: rc=%d \"%s\"", want_rc, want ? want : "");
	}
	free(out);
	free(err);
}

static char *repeat(const char *a, int n, const char *mid, const char *b, int m)
{
	size_t la = strlen(a), lb = strlen(b), lm = strlen(mid);
	char *s = malloc(la * (size_t)n + lm + lb * (size_t)m + 1), *p = s;
	if (!s)
		abort();
	for (int i = 0; i < n; i++, p += la)
		memcpy(p, a, la);
	memcpy(p, mid, lm);
	p += lm;
	for (int i = 0; i < m; i++, p += lb)
		memcpy(p, b, lb);
	*p = '\0';
	return s;
}

static void hostile(void)
{
	cJSON *doc = cJSON_Parse(INSPECT);
	char *t, *t2;

	/* nesting at and beyond the limit */
	t = repeat("{{if 1}}", TEMPLATE_MAX_DEPTH, "x", "{{end}}", TEMPLATE_MAX_DEPTH);
	expect("100 nested ifs are fine", t, doc, 0, "x");
	free(t);
	t = repeat("{{if 1}}", 5000, "x", "{{end}}", 5000);
	expect("5000 nested ifs: nesting error", t, doc, -EINVAL, "nesting too deep");
	free(t);
	t = repeat("{{range .Config.Env}}", 300, "", "", 0);
	expect("300 unclosed ranges: nesting error", t, doc, -EINVAL, "nesting too deep");
	free(t);
	char *inner = repeat("(", 10000, "1", ")", 10000);
	t = repeat("{{", 1, inner, "}}", 1);
	expect("10000 nested parens: nesting error", t, doc, -EINVAL, "nesting too deep");
	free(t);
	free(inner);
	inner = repeat("(", 10000, "", "", 0);
	t = repeat("{{", 1, inner, "", 0);
	expect("10000 unclosed parens", t, doc, -EINVAL, NULL);
	free(t);
	free(inner);

	/* huge loops hit the work limit, large output the size limit */
	expect("range 1e12: work limit", "{{range 1000000000000}}{{end}}", doc, -E2BIG,
	       "work limit");
	expect("nested ranges: work limit",
	       "{{range 1000}}{{range 1000}}{{range 1000}}{{end}}{{end}}{{end}}", doc, -E2BIG,
	       "work limit");
	expect("output over 16 MiB: size limit",
	       "{{range 100000}}{{printf \"%9000s\" \"\"}}{{end}}", doc, -E2BIG,
	       "exceeds the limit");
	expect("pad to 1 GiB: size limit", "{{pad \"x\" 1073741824 0}}", doc, -E2BIG, NULL);
	expect("json in a loop without output: work limit",
	       "{{range 1000000}}{{$j := json $}}{{end}}", doc, -E2BIG, "work limit");
	t = repeat("{{$b := $a}}", 2000, "", "", 0);
	t2 = repeat("{{$a := printf \"%9999999s\" \"\"}}", 1, t, "", 0);
	expect("copying a 10 MB value into many variables: work limit", t2, doc, -E2BIG,
	       "work limit");
	free(t2);
	free(t);
	expect("pinning a 10 MB value in a loop: work limit",
	       "{{$a := printf \"%9999999s\" \"\"}}{{range 1000}}{{$n := len $a}}{{end}}", doc,
	       -E2BIG, "work limit");
	expect("split a long string in a loop",
	       "{{$s := printf \"%9999s\" \"\"}}{{range 100000}}{{$l := split $s \"\"}}{{end}}",
	       doc, -E2BIG, "work limit");

	/* deep data: cJSON parses 1000 levels, we print them; deeper built by hand is refused */
	char *deep = repeat("[", 1000, "1", "]", 1000);
	cJSON *dd = cJSON_Parse(deep);
	expect("print 1000-deep list", "{{len (printf \"%v\" .)}}", dd, 0, "2001");
	expect("json of 1000-deep list", "{{len (json .)}}", dd, 0, "2001");
	cJSON_Delete(dd);
	free(deep);
	cJSON *root = cJSON_CreateArray(), *cur = root;
	for (int i = 0; i < 5000 && cur; i++) {
		cJSON *a = cJSON_CreateArray();
		cJSON_AddItemToArray(cur, a);
		cur = a;
	}
	expect("print 5000-deep list: refused", "{{.}}", root, -EDOM, "nested too deeply");
	expect("json of 5000-deep list: refused", "{{json .}}", root, -EDOM, "nested too deeply");
	cJSON_Delete(root);

	/* long field chains and long names */
	t = repeat(".a", 20000, "", "", 0);
	t2 = repeat("{{", 1, t, "}}", 1);
	expect("20000-field chain", t2, doc, 0, "<no value>");
	free(t);
	free(t2);
	t = repeat("x", 100000, "", "", 0);
	t2 = repeat("{{.", 1, t, "}}", 1);
	expect("100000-byte field name", t2, doc, 0, "<no value>");
	free(t2);
	t2 = repeat("{{", 1, t, "}}", 1);
	expect("100000-byte function name", t2, doc, -EINVAL, "not defined");
	free(t2);
	t2 = repeat("{{.Name.", 1, t, "}}", 1);
	expect("long name in an error message is cut", t2, doc, -EDOM, "xxx...");
	free(t2);
	free(t);

	/* NUL-free garbage: never a crash, always a clean result */
	static const char alphabet[] = "{{}}{}()|$.,:=-\"'`\\/* \n\tabcxyzIfendrangewith0123456789"
				       "\x01\x7f\xc3\xa9\xff";
	uint32_t seed = 12345;
	int clean = 1;
	for (int round = 0; round < 200; round++) {
		char g[4097];
		for (size_t i = 0; i < sizeof g - 1; i++) {
			seed = seed * 1103515245u + 12345u;
			g[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		g[sizeof g - 1] = '\0';
		char *out = NULL, *err = NULL;
		int rc = template_render(g, doc, &out, &err);
		if (!(rc == 0 || rc == -EINVAL || rc == -EDOM || rc == -E2BIG) ||
		    (rc == 0) != (out != NULL) || (rc != 0) != (err != NULL))
			clean = 0;
		free(out);
		free(err);
	}
	ok(clean, "200 rounds of 4 KiB garbage: clean results");

	/* argument checks */
	char *out = (char *)1, *err = NULL;
	ok(template_render(NULL, doc, &out, &err) == -EINVAL && out == NULL && err != NULL,
	   "NULL template: -EINVAL");
	free(err);
	ok(template_render("x", doc, NULL, NULL) == -EINVAL, "NULL out: -EINVAL");
	out = NULL;
	ok(template_render("{{.}}", NULL, &out, NULL) == 0 && out &&
	   strcmp(out, "<no value>") == 0, "NULL data: no value, err may be NULL");
	free(out);
	cJSON_Delete(doc);
}

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_case(i, &cases[i]);
	hostile();
	return done_testing();
}
