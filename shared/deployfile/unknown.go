package deployfile

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

var fileShape = reflect.TypeFor[File]()

// unknownFields names every key of v that t has no field for, recursively,
// so one check reports all typos instead of stopping at the first (as
// json.Decoder.DisallowUnknownFields does).
func unknownFields(v any, t reflect.Type, path string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			fields[strings.ToLower(name)] = sf.Type
		}
		for _, k := range sortedKeys(obj) {
			ft, ok := fields[strings.ToLower(k)]
			if !ok {
				out = append(out, join(path, k))
				continue
			}
			out = append(out, unknownFields(obj[k], ft, join(path, k))...)
		}
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return nil
		}
		for i, e := range list {
			out = append(out, unknownFields(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		for _, k := range sortedKeys(obj) {
			out = append(out, unknownFields(obj[k], t.Elem(), join(path, k))...)
		}
	}
	slices.Sort(out)
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
